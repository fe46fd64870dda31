import Logging
import NIOCore

/// Answers the client's HTTP/2 PINGs on an Fn API connection itself, in
/// front of swift-nio-http2, and logs every GOAWAY the server sends.
///
/// Why: grpc-go (the Go SDK harness) sends a PING after each response it
/// receives while its BDP estimator runs, so a state stream doing hundreds of
/// requests a second sends hundreds of PINGs. swift-nio-http2 1.46 allows 200
/// control frames per 30 s and then sends GOAWAY(ENHANCE_YOUR_CALM), which
/// grpc-go reports as "the connection is draining"; no gRPC transport setting
/// raises that limit. Harnesses are the runner's own children or the
/// submitter's process, so answering their PINGs is safe.
///
/// It sits first in the connection's pipeline and reads only frame headers:
/// inbound, a non-ACK PING (type 6, 8 bytes) is removed from the stream and
/// answered with an ACK carrying the same 8 bytes; outbound, frames are
/// tracked so an ACK is only written between whole frames.
final class HTTP2PingAnswerer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private static let prefaceLength = 24  // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    private static let headerLength = 9
    private static let pingType: UInt8 = 6
    private static let goAwayType: UInt8 = 7
    private static let ackFlag: UInt8 = 1

    private let logger: Logger
    // Inbound: the client's bytes.
    private var prefaceLeft = HTTP2PingAnswerer.prefaceLength
    private var inboundFrameLeft = 0
    private var unread: ByteBuffer?
    // Outbound: the server's frames (no preface).
    private var outboundFrameLeft = 0
    private var outboundHeader: [UInt8] = []
    private var goAwayPayload: [UInt8]?
    private var pendingAcks: [[UInt8]] = []
    private(set) var answered = 0

    init(logger: Logger) {
        self.logger = logger
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if var kept = unread.take() {
            kept.writeBuffer(&input)
            input = kept
        }
        var forward = context.channel.allocator.buffer(capacity: input.readableBytes)
        while input.readableBytes > 0 {
            if prefaceLeft > 0 || inboundFrameLeft > 0 {
                let count = min(input.readableBytes, prefaceLeft > 0 ? prefaceLeft : inboundFrameLeft)
                var slice = input.readSlice(length: count)!
                forward.writeBuffer(&slice)
                if prefaceLeft > 0 { prefaceLeft -= count } else { inboundFrameLeft -= count }
                continue
            }
            guard input.readableBytes >= Self.headerLength,
                  let header = input.getBytes(at: input.readerIndex, length: Self.headerLength) else { break }
            let length = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
            if header[3] == Self.pingType, header[4] & Self.ackFlag == 0, length == 8 {
                guard input.readableBytes >= Self.headerLength + 8 else { break }
                input.moveReaderIndex(forwardBy: Self.headerLength)
                pendingAcks.append(input.readBytes(length: 8)!)
                continue
            }
            inboundFrameLeft = Self.headerLength + length
        }
        if input.readableBytes > 0 { unread = input }
        if forward.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(forward)) }
        writePendingAcks(context: context)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .byteBuffer(let buffer) = unwrapOutboundIn(data) { track(buffer) }
        context.write(data, promise: promise)
        writePendingAcks(context: context, flush: false)
    }

    /// Follows the server's frame boundaries; notes GOAWAY frames for the log.
    private func track(_ buffer: ByteBuffer) {
        var bytes = buffer.readableBytesView[...]
        while !bytes.isEmpty {
            if outboundFrameLeft > 0 {
                let count = min(outboundFrameLeft, bytes.count)
                if goAwayPayload != nil, goAwayPayload!.count < 8 {
                    goAwayPayload!.append(contentsOf: bytes.prefix(min(count, 8 - goAwayPayload!.count)))
                    if goAwayPayload!.count == 8 { logGoAway() }
                }
                bytes = bytes.dropFirst(count)
                outboundFrameLeft -= count
                continue
            }
            let count = min(Self.headerLength - outboundHeader.count, bytes.count)
            outboundHeader.append(contentsOf: bytes.prefix(count))
            bytes = bytes.dropFirst(count)
            guard outboundHeader.count == Self.headerLength else { continue }
            outboundFrameLeft = Int(outboundHeader[0]) << 16 | Int(outboundHeader[1]) << 8 | Int(outboundHeader[2])
            goAwayPayload = outboundHeader[3] == Self.goAwayType ? [] : nil
            outboundHeader = []
        }
    }

    private var atFrameBoundary: Bool { outboundFrameLeft == 0 && outboundHeader.isEmpty }

    private func writePendingAcks(context: ChannelHandlerContext, flush: Bool = true) {
        guard !pendingAcks.isEmpty, atFrameBoundary else { return }
        var frames = context.channel.allocator.buffer(capacity: pendingAcks.count * (Self.headerLength + 8))
        for payload in pendingAcks {
            frames.writeBytes([0, 0, 8, Self.pingType, Self.ackFlag, 0, 0, 0, 0])
            frames.writeBytes(payload)
        }
        answered += pendingAcks.count
        pendingAcks = []
        context.write(wrapOutboundOut(.byteBuffer(frames)), promise: nil)
        if flush { context.flush() }
    }

    private func logGoAway() {
        guard let payload = goAwayPayload, payload.count == 8 else { return }
        let lastStream = (UInt32(payload[0]) << 24 | UInt32(payload[1]) << 16 | UInt32(payload[2]) << 8 | UInt32(payload[3])) & 0x7FFF_FFFF
        let code = UInt32(payload[4]) << 24 | UInt32(payload[5]) << 16 | UInt32(payload[6]) << 8 | UInt32(payload[7])
        let metadata: Logger.Metadata = ["last_stream": "\(lastStream)", "error_code": "\(Self.errorName(code))"]
        if code == 0 {
            logger.debug("Fn API connection closing (GOAWAY)", metadata: metadata)
        } else {
            logger.warning("Fn API server sent GOAWAY: the harness's open streams on this connection end", metadata: metadata)
        }
    }

    static func errorName(_ code: UInt32) -> String {
        let names = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
                     "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR",
                     "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]
        return code < names.count ? names[Int(code)] : "0x\(String(code, radix: 16))"
    }
}
