import Foundation
import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2

/// Refuses a request message larger than the server's cap with
/// RESOURCE_EXHAUSTED naming the flag that raises it. It sits first in each
/// HTTP/2 stream of the Job and artifact server and reads only the 5-byte
/// gRPC message prefixes in the DATA frames: grpc-swift's transport would
/// otherwise answer an oversized message with INTERNAL "Failed to decode
/// message", which tells the user nothing. Everything else passes untouched.
public final class MessageSizeGuard: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTP2Frame.FramePayload
    public typealias InboundOut = HTTP2Frame.FramePayload
    public typealias OutboundOut = HTTP2Frame.FramePayload

    private let limit: Int
    private let flag: String
    /// Payload bytes of the current message not seen yet.
    private var remaining = 0
    /// The bytes of a message prefix split across DATA frames.
    private var prefix: [UInt8] = []
    private var refused = false

    public init(limit: Int, flag: String) {
        self.limit = limit
        self.flag = flag
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        let payload = unwrapInboundIn(data)
        if case .data(let frame) = payload, case .byteBuffer(var bytes) = frame.data,
           let length = oversizedMessage(in: &bytes) {
            refuse(length, context: context)
            return
        }
        context.fireChannelRead(data)
    }

    /// Walks the frame's bytes through message prefixes and payloads; returns
    /// the length of the first message beyond the limit, if any.
    private func oversizedMessage(in bytes: inout ByteBuffer) -> Int? {
        while bytes.readableBytes > 0 {
            if remaining > 0 {
                let skipped = min(remaining, bytes.readableBytes)
                bytes.moveReaderIndex(forwardBy: skipped)
                remaining -= skipped
                continue
            }
            prefix += bytes.readBytes(length: min(5 - prefix.count, bytes.readableBytes)) ?? []
            guard prefix.count == 5 else { continue }
            let length = prefix[1...4].reduce(0) { $0 << 8 | Int($1) }
            prefix.removeAll(keepingCapacity: true)
            if length > limit { return length }
            remaining = length
        }
        return nil
    }

    /// A trailers-only response with the status; the rest of the request is
    /// dropped unread, never buffered. The stream is not closed here: that
    /// would send RST_STREAM, which clients report as CANCELLED instead of the
    /// status. It closes when the client ends or resets its side.
    private func refuse(_ length: Int, context: ChannelHandlerContext) {
        refused = true
        let message = "The request message is \(length) bytes, more than this server's limit of \(limit) bytes (\(flag))"
        let headers: HPACKHeaders = [
            ":status": "200", "content-type": "application/grpc",
            "grpc-status": "\(Status.Code.resourceExhausted.rawValue)", "grpc-message": Self.percentEncoded(message),
        ]
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: nil)
    }

    /// gRPC's grpc-message encoding: printable ASCII but `%` as is, the rest as %XX.
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if (0x20...0x7E).contains(byte) && byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }
}
