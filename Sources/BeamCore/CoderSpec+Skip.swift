// Finding value boundaries without decoding: the runner's hot path.

extension CoderSpec {
    /// Advances `reader` past one value in the nested context. Throws for an opaque
    /// coder that is not length-prefixed: its values have no boundary we can see.
    public func skip(_ reader: inout ByteReader) throws {
        switch self {
        case .bytes, .stringUTF8, .lengthPrefix:
            try reader.skip(try reader.readLength())
        case .varint:
            _ = try reader.readVarInt64()
        case .bool:
            try reader.skip(1)
        case .double:
            try reader.skip(8)
        case let .kv(key, value):
            try key.skip(&reader)
            try value.skip(&reader)
        case let .iterable(element):
            try IterableEncoding.skip(&reader, element: element)
        case .globalWindow:
            return
        case .intervalWindow:
            try reader.skip(8)
            _ = try reader.readVarInt64()
        case let .windowedValue(element, window):
            try reader.skip(8)
            try window.skipWindowList(&reader)
            try PaneInfo.skip(&reader)
            try element.skip(&reader)
        case let .paramWindowedValue(element, _, _):
            try element.skip(&reader)
        case let .timer(key, window):
            try key.skip(&reader)
            try reader.skip(try reader.readLength())
            try window.skipWindowList(&reader)
            if try reader.readByte() == 0 {
                try reader.skip(16)
                try PaneInfo.skip(&reader)
            }
        case let .nullable(inner):
            switch try reader.readByte() {
            case 0: return
            case 1: try inner.skip(&reader)
            case let byte: throw CoderError.invalidEncoding("nullable indicator \(byte)")
            }
        case let .opaque(urn):
            throw CoderError.unknownCoder(urn: urn)
        }
    }

    /// The bytes of the next nested value, sharing storage with the reader's input.
    public func readEncoded(_ reader: inout ByteReader) throws -> ArraySlice<UInt8> {
        let start = reader.position
        try skip(&reader)
        return reader.bytesRead(since: start)
    }
}

extension CoderSpec {
    /// For a windowed_value coder: advances `reader` past the timestamp,
    /// windows and pane, to the element. Throws for any other coder.
    public func skipWindowedValueHeader(_ reader: inout ByteReader) throws {
        guard case let .windowedValue(_, window) = self else {
            throw CoderError.valueMismatch(coder: urn, value: "windowed value")
        }
        try reader.skip(8)
        try window.skipWindowList(&reader)
        try PaneInfo.skip(&reader)
    }
}
