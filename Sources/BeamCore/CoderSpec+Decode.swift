// Full decoding into `CoderValue`, in either context. Inner coders of a length
// prefix are read in the unnested context, as Beam writes them.

extension CoderSpec {
    /// Decodes one value in the nested context.
    public func decode(_ reader: inout ByteReader) throws -> CoderValue {
        try decode(&reader, nested: true)
    }

    /// Decodes a buffer holding exactly one value.
    public func decode(_ bytes: [UInt8], nested: Bool = true) throws -> CoderValue {
        var reader = ByteReader(bytes)
        let value = try decode(&reader, nested: nested)
        if !reader.isAtEnd { throw CoderError.trailingBytes(reader.remainingCount) }
        return value
    }

    /// Decodes one value; `nested: false` means the value runs to the end of the input.
    public func decode(_ reader: inout ByteReader, nested: Bool) throws -> CoderValue {
        switch self {
        case .bytes:
            return .bytes(Array(try Self.readByteString(&reader, nested: nested)))
        case .stringUTF8:
            let raw = try Self.readByteString(&reader, nested: nested)
            guard let string = String(validating: raw, as: UTF8.self) else {
                throw CoderError.invalidEncoding("string is not valid UTF-8")
            }
            return .string(string)
        case .varint:
            return .int(try reader.readVarInt64())
        case .bool:
            switch try reader.readByte() {
            case 0: return .bool(false)
            case 1: return .bool(true)
            case let byte: throw CoderError.invalidEncoding("bool byte \(byte)")
            }
        case .double:
            return .double(Double(bitPattern: try reader.readBigEndianUInt64()))
        case let .kv(key, value):
            let k = try key.decode(&reader, nested: true)
            return .kv(k, try value.decode(&reader, nested: nested))
        case let .iterable(element):
            var values: [CoderValue] = []
            try IterableEncoding.forEachElement(&reader) { values.append(try element.decode(&$0, nested: true)) }
            return .iterable(values)
        case let .lengthPrefix(inner):
            let content = try reader.readBytes(try reader.readLength())
            if case .opaque = inner { return .opaque(Array(content)) }
            var contentReader = ByteReader(content)
            let value = try inner.decode(&contentReader, nested: false)
            if !contentReader.isAtEnd { throw CoderError.trailingBytes(contentReader.remainingCount) }
            return value
        case .globalWindow, .intervalWindow:
            return .window(try decodeWindow(&reader))
        case let .windowedValue(element, window):
            let header = try WindowedValueHeader.read(&reader, windowCoder: window)
            let value = try element.decode(&reader, nested: nested)
            return .windowedValue(
                DecodedWindowedValue(value: value, timestamp: header.timestamp, windows: header.windows, pane: header.pane))
        case let .paramWindowedValue(element, window, payload):
            let header = try WindowedValueHeader.fromPayload(payload, windowCoder: window)
            let value = try element.decode(&reader, nested: nested)
            return .windowedValue(
                DecodedWindowedValue(value: value, timestamp: header.timestamp, windows: header.windows, pane: header.pane))
        case let .timer(key, window):
            let userKey = try key.decode(&reader, nested: true)
            guard case let .string(tag) = try CoderSpec.stringUTF8.decode(&reader, nested: true) else {
                preconditionFailure("string coder decodes strings")
            }
            let windows = try window.decodeWindowList(&reader)
            guard case let .bool(clear) = try CoderSpec.bool.decode(&reader, nested: true) else {
                preconditionFailure("bool coder decodes bools")
            }
            var firing: DecodedTimer.Firing?
            if !clear {
                let fire = try reader.readTimestamp()
                let hold = try reader.readTimestamp()
                firing = .init(fireTimestamp: fire, holdTimestamp: hold, pane: try PaneInfo.decode(&reader))
            }
            return .timer(DecodedTimer(userKey: userKey, dynamicTimerTag: tag, windows: windows, firing: firing))
        case let .nullable(inner):
            switch try reader.readByte() {
            case 0: return .null
            case 1: return try inner.decode(&reader, nested: nested)
            case let byte: throw CoderError.invalidEncoding("nullable indicator \(byte)")
            }
        case let .opaque(urn):
            throw CoderError.unknownCoder(urn: urn)
        }
    }

    private static func readByteString(_ reader: inout ByteReader, nested: Bool) throws -> ArraySlice<UInt8> {
        nested ? try reader.readBytes(try reader.readLength()) : reader.readRemaining()
    }
}
