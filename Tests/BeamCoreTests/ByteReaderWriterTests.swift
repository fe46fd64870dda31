import BeamCore
import Testing

@Suite struct ByteReaderWriterTests {
    static let varInts: [(Int64, [UInt8])] = [
        (0, [0x00]),
        (1, [0x01]),
        (200, [0xC8, 0x01]),
        (-1, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        (Int64.min, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
        (Int64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
    ]

    @Test(arguments: varInts)
    func varIntMatchesBeam(value: Int64, bytes: [UInt8]) throws {
        var writer = ByteWriter()
        writer.writeVarInt64(value)
        #expect(writer.bytes == bytes)
        var reader = ByteReader(bytes)
        #expect(try reader.readVarInt64() == value)
        #expect(reader.isAtEnd)
    }

    @Test func truncationThrows() {
        var reader = ByteReader([0x80, 0x80])
        #expect(throws: CoderError.self) { try reader.readVarInt64() }
        #expect(reader.position == 0, "a failed read does not move the cursor")
        var short = ByteReader([1, 2, 3])
        #expect(throws: CoderError.truncated(needed: 4, available: 3)) { try short.readBigEndianInt32() }
        #expect(throws: CoderError.truncated(needed: 8, available: 3)) { try short.readBigEndianInt64() }
        #expect(throws: CoderError.truncated(needed: 5, available: 3)) { try short.readBytes(5) }
        var endless = ByteReader([UInt8](repeating: 0xFF, count: 11))
        #expect(throws: CoderError.malformedVarInt) { try endless.readVarInt64() }
    }

    @Test func bigEndianRoundTrip() throws {
        var writer = ByteWriter()
        writer.writeBigEndianInt32(-2)
        writer.writeBigEndianInt64(0x0102_0304_0506_0708)
        #expect(writer.bytes == [0xFF, 0xFF, 0xFF, 0xFE, 1, 2, 3, 4, 5, 6, 7, 8])
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readBigEndianInt32() == -2)
        #expect(try reader.readBigEndianInt64() == 0x0102_0304_0506_0708)
        #expect(reader.isAtEnd)
    }

    @Test func readBytesSharesIndicesOfSlices() throws {
        let base: [UInt8] = [9, 9, 2, 0xAA, 0xBB, 7]
        var reader = ByteReader(base[2...])
        let length = try reader.readLength()
        let bytes = try reader.readBytes(length)
        #expect(Array(bytes) == [0xAA, 0xBB])
        #expect(bytes.startIndex == 3)
        #expect(Array(reader.readRemaining()) == [7])
        #expect(reader.isAtEnd)
    }

    @Test func timestampsFlipTheSignBit() throws {
        var writer = ByteWriter()
        writer.writeTimestamp(BeamTime.minTimestamp)
        writer.writeTimestamp(0)
        writer.writeTimestamp(-1)
        #expect(hex(writer.bytes) == "7fdf3b645a1cac09" + "8000000000000000" + "7fffffffffffffff")
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readTimestamp() == BeamTime.minTimestamp)
        #expect(try reader.readTimestamp() == 0)
        #expect(try reader.readTimestamp() == -1)
    }

    @Test func timeConstantsMatchBeam() {
        #expect(BeamTime.minTimestamp == -9_223_372_036_854_775)
        #expect(BeamTime.maxTimestamp == 9_223_372_036_854_775)
        #expect(BeamTime.globalWindowMaxTimestamp == 9_223_371_950_454_775)
        #expect(BeamWindow.global.maxTimestamp == BeamTime.globalWindowMaxTimestamp)
        #expect(BeamWindow.interval(start: 0, end: 10).maxTimestamp == 9)
        #expect(BeamWindow.opaque([1]).maxTimestamp == nil)
    }
}
