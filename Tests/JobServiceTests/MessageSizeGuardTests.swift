import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing
@testable import JobService

/// The cap on request messages, fed DATA frames as an HTTP/2 stream delivers them.
@Suite struct MessageSizeGuardTests {
    private func data(_ bytes: [UInt8]) -> HTTP2Frame.FramePayload {
        .data(.init(data: .byteBuffer(ByteBuffer(bytes: bytes))))
    }

    /// A gRPC message: uncompressed flag, 4-byte big-endian length, payload.
    private func message(_ length: Int) -> [UInt8] {
        [0, UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + [UInt8](repeating: 7, count: length)
    }

    @Test func messagesWithinTheLimitPassWhereverTheFramesCutThem() throws {
        let channel = EmbeddedChannel(handler: MessageSizeGuard(limit: 10, flag: "--max-message-size"))
        let bytes = message(10) + message(3) + message(0)
        var start = 0
        for cut in [2, 7, 8, 16, bytes.count] {  // inside prefixes and payloads
            try channel.writeInbound(data(Array(bytes[start..<cut])))
            start = cut
        }
        var passed = 0
        while let _ = try channel.readInbound(as: HTTP2Frame.FramePayload.self) { passed += 1 }
        #expect(passed == 5)
        #expect(try channel.readOutbound(as: HTTP2Frame.FramePayload.self) == nil)
    }

    @Test func aMessageBeyondTheLimitGetsResourceExhaustedAndTheRestIsDropped() throws {
        let channel = EmbeddedChannel(handler: MessageSizeGuard(limit: 10, flag: "--max-message-size"))
        let bytes = message(4) + message(11)
        try channel.writeInbound(data(Array(bytes[0..<12])))  // the first message and 3 bytes of the next prefix
        try channel.writeInbound(data(Array(bytes[12...])))
        try channel.writeInbound(data([1, 2, 3]))
        #expect(try channel.readInbound(as: HTTP2Frame.FramePayload.self) != nil)
        #expect(try channel.readInbound(as: HTTP2Frame.FramePayload.self) == nil)
        guard case .headers(let trailers)? = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else {
            Issue.record("no trailers written")
            return
        }
        #expect(trailers.endStream)
        #expect(trailers.headers.first(name: "grpc-status") == "8")
        #expect(trailers.headers.first(name: "grpc-message")
                == "The request message is 11 bytes, more than this server's limit of 10 bytes (--max-message-size)")
        #expect(MessageSizeGuard.percentEncoded("50% ünï") == "50%25 %C3%BCn%C3%AF")
    }
}
