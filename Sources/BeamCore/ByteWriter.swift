/// An append-only buffer for Beam encodings, the mirror of `ByteReader`.
///
/// Used by the coders' `encode`, the windowed-value codec and the engine when it
/// assembles grouped output. Appends straight into one growing `[UInt8]`.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var count: Int { bytes.count }

    public mutating func writeByte(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// Beam's varint: unsigned LEB128 of the Int64 bit pattern.
    public mutating func writeVarInt64(_ value: Int64) {
        var remaining = UInt64(bitPattern: value)
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    public mutating func writeBigEndianUInt64(_ value: UInt64) {
        var shift: UInt64 = 56
        while true {
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
            if shift == 0 { break }
            shift -= 8
        }
    }

    public mutating func writeBigEndianInt64(_ value: Int64) {
        writeBigEndianUInt64(UInt64(bitPattern: value))
    }

    public mutating func writeBigEndianInt32(_ value: Int32) {
        let raw = UInt32(bitPattern: value)
        bytes.append(UInt8(truncatingIfNeeded: raw >> 24))
        bytes.append(UInt8(truncatingIfNeeded: raw >> 16))
        bytes.append(UInt8(truncatingIfNeeded: raw >> 8))
        bytes.append(UInt8(truncatingIfNeeded: raw))
    }

    public mutating func writeBytes(_ data: ArraySlice<UInt8>) {
        bytes.append(contentsOf: data)
    }

    public mutating func writeBytes(_ data: [UInt8]) {
        bytes.append(contentsOf: data)
    }

    /// Varint length followed by the bytes: the nested encoding of a byte string.
    public mutating func writeLengthPrefixed(_ data: ArraySlice<UInt8>) {
        writeVarInt64(Int64(data.count))
        bytes.append(contentsOf: data)
    }

    public mutating func writeLengthPrefixed(_ data: [UInt8]) {
        writeLengthPrefixed(data[...])
    }
}
