/// A cursor over encoded bytes: Beam varints, big-endian integers and raw slices.
///
/// Every coder, the windowed-value splitter and the engine read through this type.
/// It indexes into the caller's storage and never copies: `readBytes` returns a
/// slice sharing that storage. `position` is an index in `bytes`' index space.
public struct ByteReader: Sendable {
    public let bytes: ArraySlice<UInt8>
    public var position: Int

    public init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    public var isAtEnd: Bool { position >= bytes.endIndex }
    public var remainingCount: Int { bytes.endIndex - position }

    @inline(__always)
    private func require(_ count: Int) throws {
        if count < 0 || bytes.endIndex - position < count {
            throw CoderError.truncated(needed: count, available: bytes.endIndex - position)
        }
    }

    public mutating func readByte() throws -> UInt8 {
        try require(1)
        let byte = bytes[position]
        position += 1
        return byte
    }

    /// Beam's varint: unsigned LEB128 of the Int64 bit pattern (negatives take 10 bytes).
    public mutating func readVarInt64() throws -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        let end = bytes.endIndex
        while true {
            guard index < end else {
                throw CoderError.truncated(needed: index - position + 1, available: end - position)
            }
            let byte = bytes[index]
            index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            if shift >= 70 { throw CoderError.malformedVarInt }
        }
        position = index
        return Int64(bitPattern: result)
    }

    /// A varint that must be a usable length or count.
    public mutating func readLength() throws -> Int {
        let value = try readVarInt64()
        guard value >= 0 else {
            throw CoderError.invalidEncoding("length \(value)")
        }
        return Int(value)
    }

    public mutating func readBigEndianUInt64() throws -> UInt64 {
        try require(8)
        var value: UInt64 = 0
        for index in position..<(position + 8) {
            value = value << 8 | UInt64(bytes[index])
        }
        position += 8
        return value
    }

    public mutating func readBigEndianInt64() throws -> Int64 {
        Int64(bitPattern: try readBigEndianUInt64())
    }

    public mutating func readBigEndianInt32() throws -> Int32 {
        try require(4)
        var value: UInt32 = 0
        for index in position..<(position + 4) {
            value = value << 8 | UInt32(bytes[index])
        }
        position += 4
        return Int32(bitPattern: value)
    }

    /// The next `count` bytes, sharing storage with the input.
    public mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        try require(count)
        let slice = bytes[position..<(position + count)]
        position += count
        return slice
    }

    public mutating func skip(_ count: Int) throws {
        try require(count)
        position += count
    }

    /// Everything not read yet (the unnested context's "rest of the stream").
    public mutating func readRemaining() -> ArraySlice<UInt8> {
        let slice = bytes[position...]
        position = bytes.endIndex
        return slice
    }

    /// The bytes read since `start` (a previous `position`).
    public func bytesRead(since start: Int) -> ArraySlice<UInt8> {
        bytes[start..<position]
    }
}
