// Windows in their window coder: the runner decodes global and interval windows and
// keeps any other window coder's bytes as `BeamWindow.opaque`.

extension CoderSpec {
    /// Reads one window encoded with this (window) coder.
    public func decodeWindow(_ reader: inout ByteReader) throws -> BeamWindow {
        switch self {
        case .globalWindow:
            return .global
        case .intervalWindow:
            let end = try reader.readTimestamp()
            let span = try reader.readVarInt64()
            let (start, overflow) = end.subtractingReportingOverflow(span)
            if overflow { throw CoderError.invalidEncoding("interval window end \(end) span \(span)") }
            return .interval(start: start, end: end)
        default:
            let start = reader.position
            try skip(&reader)
            return .opaque(Array(reader.bytesRead(since: start)))
        }
    }

    /// Writes one window with this (window) coder.
    public func encodeWindow(_ window: BeamWindow, into writer: inout ByteWriter) throws {
        switch (self, window) {
        case (.globalWindow, .global):
            return
        case let (.intervalWindow, .interval(start, end)):
            writer.writeTimestamp(end)
            writer.writeVarInt64(end &- start)
        case let (_, .opaque(bytes)):
            writer.writeBytes(bytes)
        default:
            throw CoderError.valueMismatch(coder: urn, value: "\(window)")
        }
    }

    /// The window's encoding in this coder: how the State API names a window.
    public func encodedWindow(_ window: BeamWindow) throws -> [UInt8] {
        var writer = ByteWriter()
        try encodeWindow(window, into: &writer)
        return writer.bytes
    }

    /// Reads the windows list of a windowed value or timer: int32 count, then windows.
    func decodeWindowList(_ reader: inout ByteReader) throws -> [BeamWindow] {
        let count = try reader.readBigEndianInt32()
        if count == 1, case .globalWindow = self {
            return CoderSpec.globalWindowList  // shared storage: no allocation per element
        }
        guard count >= 0 else { throw CoderError.invalidEncoding("window count \(count)") }
        var windows: [BeamWindow] = []
        windows.reserveCapacity(Int(count))
        for _ in 0..<count {
            windows.append(try decodeWindow(&reader))
        }
        return windows
    }

    func skipWindowList(_ reader: inout ByteReader) throws {
        let count = try reader.readBigEndianInt32()
        guard count >= 0 else { throw CoderError.invalidEncoding("window count \(count)") }
        switch self {
        case .globalWindow:
            return
        case .intervalWindow:
            for _ in 0..<count {
                try reader.skip(8)
                _ = try reader.readVarInt64()
            }
        default:
            for _ in 0..<count { try skip(&reader) }
        }
    }

    func encodeWindowList(_ windows: [BeamWindow], into writer: inout ByteWriter) throws {
        writer.writeBigEndianInt32(Int32(windows.count))
        for window in windows {
            try encodeWindow(window, into: &writer)
        }
    }

    static let globalWindowList: [BeamWindow] = [.global]
}
