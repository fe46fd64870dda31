// Full encoding from `CoderValue`, the inverse of CoderSpec+Decode.

extension CoderSpec {
    /// Encodes one value in the nested context.
    public func encode(_ value: CoderValue, into writer: inout ByteWriter) throws {
        try encode(value, into: &writer, nested: true)
    }

    /// Encodes one value into a fresh buffer.
    public func encoded(_ value: CoderValue, nested: Bool = true) throws -> [UInt8] {
        var writer = ByteWriter()
        try encode(value, into: &writer, nested: nested)
        return writer.bytes
    }

    /// Encodes one value; `nested: false` omits the length of a trailing byte string.
    public func encode(_ value: CoderValue, into writer: inout ByteWriter, nested: Bool) throws {
        switch (self, value) {
        case let (.bytes, .bytes(bytes)):
            Self.writeByteString(bytes[...], into: &writer, nested: nested)
        case let (.stringUTF8, .string(string)):
            Self.writeByteString(Array(string.utf8)[...], into: &writer, nested: nested)
        case let (.varint, .int(int)):
            writer.writeVarInt64(int)
        case let (.bool, .bool(bool)):
            writer.writeByte(bool ? 1 : 0)
        case let (.double, .double(double)):
            writer.writeBigEndianUInt64(double.bitPattern)
        case let (.kv(keyCoder, valueCoder), .kv(key, element)):
            try keyCoder.encode(key, into: &writer, nested: true)
            try valueCoder.encode(element, into: &writer, nested: nested)
        case let (.iterable(element), .iterable(values)):
            IterableEncoding.writeHeader(count: values.count, into: &writer)
            for item in values {
                try element.encode(item, into: &writer, nested: true)
            }
        case let (.lengthPrefix, .opaque(content)):
            writer.writeLengthPrefixed(content)
        case let (.lengthPrefix(inner), _):
            var content = ByteWriter()
            try inner.encode(value, into: &content, nested: false)
            writer.writeLengthPrefixed(content.bytes)
        case let (.globalWindow, .window(window)), let (.intervalWindow, .window(window)):
            try encodeWindow(window, into: &writer)
        case let (.windowedValue(element, window), .windowedValue(windowed)):
            try WindowedValueHeader.write(
                timestamp: windowed.timestamp, windows: windowed.windows, pane: windowed.pane,
                windowCoder: window, into: &writer)
            try element.encode(windowed.value, into: &writer, nested: nested)
        case let (.paramWindowedValue(element, _, _), .windowedValue(windowed)):
            // Timestamp, windows and pane are fixed by the coder's payload.
            try element.encode(windowed.value, into: &writer, nested: nested)
        case let (.timer(keyCoder, window), .timer(timer)):
            try keyCoder.encode(timer.userKey, into: &writer, nested: true)
            writer.writeLengthPrefixed(Array(timer.dynamicTimerTag.utf8))
            try window.encodeWindowList(timer.windows, into: &writer)
            if let firing = timer.firing {
                writer.writeByte(0)
                writer.writeTimestamp(firing.fireTimestamp)
                writer.writeTimestamp(firing.holdTimestamp)
                firing.pane.encode(into: &writer)
            } else {
                writer.writeByte(1)
            }
        case (.nullable, .null):
            writer.writeByte(0)
        case let (.nullable(inner), _):
            writer.writeByte(1)
            try inner.encode(value, into: &writer, nested: nested)
        case let (.opaque(urn), _):
            throw CoderError.unknownCoder(urn: urn)
        default:
            throw CoderError.valueMismatch(coder: urn, value: value.kindName)
        }
    }

    private static func writeByteString(_ bytes: ArraySlice<UInt8>, into writer: inout ByteWriter, nested: Bool) {
        if nested {
            writer.writeLengthPrefixed(bytes)
        } else {
            writer.writeBytes(bytes)
        }
    }
}
