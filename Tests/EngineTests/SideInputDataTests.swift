import BeamCore
import Engine
import Testing

@Suite struct SideInputDataTests {
    let kv = CoderSpec.kv(.stringUTF8, .varint)

    func chunk(_ values: [(String, Int64, [BeamWindow])], windowCoder: CoderSpec) throws -> [UInt8] {
        try Fixture.chunk(values.map { Element(key: $0.0, value: $0.1, timestamp: 0, windows: $0.2) }, windowCoder: windowCoder)
    }

    @Test func iterableAndMultimapInTheGlobalWindow() throws {
        let chunks = [
            try chunk([("a", 1, [.global]), ("b", 2, [.global])], windowCoder: .globalWindow),
            try chunk([("a", 3, [.global])], windowCoder: .globalWindow),
        ]
        let data = try SideInputData(chunks: chunks, elementCoder: kv, windowCoder: .globalWindow)
        let window = try SideInputData.encodeWindow(.global, coder: .globalWindow)
        #expect(window == [])
        let elements = try decodeAll(data.iterable(window: window), coder: kv)
        #expect(elements == [.kv(.string("a"), .int(1)), .kv(.string("b"), .int(2)), .kv(.string("a"), .int(3))])
        #expect(try decodeAll(data.multimapKeys(window: window), coder: .stringUTF8) == [.string("a"), .string("b")])
        let aKey = try CoderSpec.stringUTF8.encoded(.string("a"))
        #expect(data.multimapValues(window: window, key: aKey) == [1, 3])
        #expect(data.multimapValues(window: window, key: try CoderSpec.stringUTF8.encoded(.string("zz"))) == [])
        #expect(data.windows == [[]])
    }

    @Test func windowsAreSeparatedByTheirEncoding() throws {
        let w1 = BeamWindow.interval(start: 0, end: 10)
        let w2 = BeamWindow.interval(start: 10, end: 20)
        let input = try chunk([("a", 1, [w1]), ("a", 2, [w2]), ("b", 3, [w1, w2])], windowCoder: .intervalWindow)
        let data = try SideInputData(chunks: [input], elementCoder: kv, windowCoder: .intervalWindow)
        let name1 = try SideInputData.encodeWindow(w1, coder: .intervalWindow)
        let name2 = try SideInputData.encodeWindow(w2, coder: .intervalWindow)
        #expect(name1 == bytes(fromHex: "800000000000000a0a"))
        #expect(try decodeAll(data.iterable(window: name1), coder: kv) == [.kv(.string("a"), .int(1)), .kv(.string("b"), .int(3))])
        #expect(try decodeAll(data.iterable(window: name2), coder: kv) == [.kv(.string("a"), .int(2)), .kv(.string("b"), .int(3))])
        #expect(data.multimapValues(window: name2, key: [1, 0x61]) == [2])
        let unknown = try SideInputData.encodeWindow(.interval(start: 20, end: 30), coder: .intervalWindow)
        #expect(data.iterable(window: unknown) == [])
        #expect(data.multimapKeys(window: unknown) == [])
        #expect(Set(data.windows) == [name1, name2])
    }

    @Test func nonKVElementsHaveNoMultimap() throws {
        let coder = CoderSpec.windowedValue(element: .varint, window: .globalWindow)
        var writer = ByteWriter()
        for value: Int64 in [5, 6] {
            try coder.encode(.windowedValue(DecodedWindowedValue(value: .int(value), timestamp: 0, windows: [.global], pane: .noFiring)), into: &writer)
        }
        let data = try SideInputData(chunks: [writer.bytes], elementCoder: .varint, windowCoder: .globalWindow)
        #expect(data.iterable(window: []) == [5, 6])
        #expect(data.multimapKeys(window: []) == [])
        #expect(data.multimapValues(window: [], key: [5]) == [])
    }

    @Test func emptySideInput() throws {
        let data = try SideInputData(chunks: [], elementCoder: kv, windowCoder: .globalWindow)
        #expect(data.iterable(window: []) == [])
        #expect(data.windows.isEmpty)
    }

    func decodeAll(_ bytes: [UInt8], coder: CoderSpec) throws -> [CoderValue] {
        var reader = ByteReader(bytes)
        var values: [CoderValue] = []
        while !reader.isAtEnd { values.append(try coder.decode(&reader)) }
        return values
    }
}
