import BeamCore
import Testing

@Suite struct WindowedValueCodecTests {
    let kvCoder = CoderSpec.kv(.lengthPrefix(.bytes), .varint)

    // From Beam Python: WindowedValueCoder(TupleCoder([LengthPrefixCoder(BytesCoder()), VarIntCoder()]),
    // IntervalWindowCoder()) of (b'k', 3) at 5s in [0s,10s) and [5s,15s), pane EARLY index 2.
    let pythonBytes = "8000000000001388000000028000000000002710904e8000000000003a98904e1002016b03"

    @Test func splitsAndReencodesPythonBytes() throws {
        let one = bytes(fromHex: pythonBytes)
        let chunk = one + one + one
        let codec = WindowedValueCodec(elementCoder: kvCoder, windowCoder: .intervalWindow)
        let values = try codec.split(chunk)
        #expect(values.count == 3)
        let first = try #require(values.first)
        #expect(first.timestamp == 5000)
        #expect(first.windows == [.interval(start: 0, end: 10000), .interval(start: 5000, end: 15000)])
        #expect(first.pane == PaneInfo(isFirst: false, isLast: false, timing: .early, index: 2, nonSpeculativeIndex: -1))
        #expect(Array(first.element) == [0x01, 0x6B, 0x03])
        var writer = ByteWriter()
        for value in values { try codec.encode(value, into: &writer) }
        #expect(writer.bytes == chunk)

        let (key, value) = try KVSplitter(kvCoder: kvCoder).split(first.element)
        #expect(Array(key) == [0x01, 0x6B])
        #expect(Array(value) == [0x03])
    }

    @Test func truncatedChunkThrows() {
        let chunk = Array(bytes(fromHex: pythonBytes).dropLast())
        let codec = WindowedValueCodec(elementCoder: kvCoder, windowCoder: .intervalWindow)
        #expect(throws: CoderError.self) { try codec.split(chunk) }
    }

    @Test func globalWindowValuesAndHeaderWriting() throws {
        let codec = try WindowedValueCodec(.windowedValue(element: .bytes, window: .globalWindow))
        var writer = ByteWriter()
        try codec.writeHeader(timestamp: BeamTime.minTimestamp, window: .global, pane: .noFiring, into: &writer)
        writer.writeLengthPrefixed([UInt8]())
        try codec.writeHeader(timestamp: 7, windows: [.global], pane: .onTimeOnly, into: &writer)
        writer.writeLengthPrefixed([0x61])
        #expect(hex(writer.bytes.prefix(14)) == "7fdf3b645a1cac09000000010f00")
        let values = try codec.split(writer.bytes)
        #expect(values == [
            EncodedWindowedValue(timestamp: BeamTime.minTimestamp, windows: [.global], pane: .noFiring, element: [0]),
            EncodedWindowedValue(timestamp: 7, windows: [.global], pane: .onTimeOnly, element: [1, 0x61]),
        ])
    }

    @Test func paramWindowedValuesCarryOnlyElements() throws {
        // Payload from standard_coders.yaml: timestamp 1000, [10, 20), pane (false, true, ON_TIME, 30, 40).
        let payload = bytes(fromHex: "80000000000003e8000000018000000000000014" + "0a" + "261e28" + "00")
        let codec = try WindowedValueCodec(.paramWindowedValue(element: .varint, window: .intervalWindow, payload: payload))
        let values = try codec.split([2, 3])
        #expect(values.count == 2)
        #expect(values[1].timestamp == 1000)
        #expect(values[1].windows == [.interval(start: 10, end: 20)])
        #expect(values[1].pane == PaneInfo(isFirst: false, isLast: true, timing: .onTime, index: 30, nonSpeculativeIndex: 40))
        #expect(Array(values[1].element) == [3])
        var writer = ByteWriter()
        for value in values { try codec.encode(value, into: &writer) }
        #expect(writer.bytes == [2, 3])
    }

    @Test func iterableOfEncodedElements() throws {
        let encoded = IterableEncoding.encode([[1, 0x61], [0], [2, 0x62, 0x63]])
        #expect(encoded == [0, 0, 0, 3, 1, 0x61, 0, 2, 0x62, 0x63])
        #expect(try CoderSpec.iterable(.bytes).decode(encoded) == .iterable([.bytes([0x61]), .bytes([]), .bytes([0x62, 0x63])]))
        var writer = ByteWriter()
        IterableEncoding.encode(count: 2, concatenated: [5, 6][...], into: &writer)
        #expect(try CoderSpec.iterable(.varint).decode(writer.bytes) == .iterable([.int(5), .int(6)]))
    }

    @Test func encodedKeysCompareByBytes() {
        let storage: [UInt8] = [1, 2, 3, 1, 2]
        #expect(EncodedKey(storage[0..<2]) == EncodedKey([1, 2]))
        #expect(EncodedKey(storage[3..<5]).hashValue == EncodedKey([1, 2]).hashValue)
        #expect(EncodedKey(storage[0..<3]) != EncodedKey([1, 2]))
    }
}

func bytes(fromHex hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return result
}
