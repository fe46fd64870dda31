import BeamCore
import Testing

@Suite struct CoderSpecTests {
    @Test func fromURNMapsStandardCoders() {
        let bytes = CoderSpec.fromURN(CoderURNs.bytes, components: [], payload: [])
        #expect(bytes == .bytes)
        #expect(CoderSpec.fromURN(CoderURNs.kv, components: [.bytes, .varint], payload: []) == .kv(.bytes, .varint))
        #expect(
            CoderSpec.fromURN(CoderURNs.windowedValue, components: [.varint, .globalWindow], payload: [])
                == .windowedValue(element: .varint, window: .globalWindow))
        #expect(
            CoderSpec.fromURN(CoderURNs.paramWindowedValue, components: [.varint, .globalWindow], payload: [1])
                == .paramWindowedValue(element: .varint, window: .globalWindow, payload: [1]))
        #expect(CoderSpec.fromURN(CoderURNs.timer, components: [.bytes, .globalWindow], payload: []) == .timer(key: .bytes, window: .globalWindow))
        #expect(CoderSpec.fromURN(CoderURNs.nullable, components: [.bytes], payload: []) == .nullable(.bytes))
        #expect(CoderSpec.fromURN("beam:coder:row:v1", components: [], payload: [1]) == .opaque(urn: "beam:coder:row:v1"))
        #expect(CoderSpec.fromURN(CoderURNs.kv, components: [.bytes], payload: []) == .opaque(urn: CoderURNs.kv),
                "wrong arity is not trusted")
        for urn in [CoderURNs.stringUTF8, CoderURNs.varint, CoderURNs.bool, CoderURNs.double, CoderURNs.globalWindow, CoderURNs.intervalWindow] {
            #expect(CoderSpec.fromURN(urn, components: [], payload: []).urn == urn)
        }
        #expect(CoderSpec.fromURN(CoderURNs.lengthPrefix, components: [.bytes], payload: []) == .lengthPrefix(.bytes))
        #expect(CoderSpec.fromURN(CoderURNs.iterable, components: [.bytes], payload: []) == .iterable(.bytes))
    }

    @Test func isKnownOnlyThroughLengthPrefixes() {
        let pickled = CoderSpec.opaque(urn: "beam:coders:python:pickle")
        #expect(!pickled.isKnown)
        #expect(CoderSpec.lengthPrefix(pickled).isKnown)
        #expect(!CoderSpec.kv(.bytes, pickled).isKnown)
        #expect(CoderSpec.kv(.bytes, .lengthPrefix(pickled)).isKnown)
        #expect(!CoderSpec.windowedValue(element: .bytes, window: pickled).isKnown)
        #expect(!CoderSpec.iterable(pickled).isKnown)
        #expect(CoderSpec.timer(key: .lengthPrefix(pickled), window: .intervalWindow).isKnown)
    }

    @Test func skipWalksConcatenatedValues() throws {
        let pickled = CoderSpec.opaque(urn: "beam:coders:python:pickle")
        let cases: [(CoderSpec, [CoderValue])] = [
            (.varint, [.int(-1), .int(300), .int(0)]),
            (.kv(.stringUTF8, .iterable(.double)), [.kv(.string("é"), .iterable([.double(1.5), .double(-2)]))]),
            (.nullable(.bool), [.null, .bool(true), .null]),
            (.lengthPrefix(pickled), [.opaque([1, 2, 3]), .opaque([])]),
            (.lengthPrefix(.kv(.bytes, .bytes)), [.kv(.bytes([1]), .bytes([2, 3]))]),
            (.windowedValue(element: .bytes, window: .intervalWindow), [
                .windowedValue(DecodedWindowedValue(
                    value: .bytes([7]), timestamp: 5, windows: [.interval(start: 0, end: 10), .interval(start: 5, end: 15)],
                    pane: .onTimeOnly)),
            ]),
            (.timer(key: .bytes, window: .globalWindow), [
                .timer(DecodedTimer(userKey: .bytes([1]), dynamicTimerTag: "t", windows: [.global], firing: nil)),
                .timer(DecodedTimer(userKey: .bytes([]), dynamicTimerTag: "", windows: [.global],
                                    firing: .init(fireTimestamp: 10, holdTimestamp: 5, pane: .noFiring))),
            ]),
        ]
        for (coder, values) in cases {
            var writer = ByteWriter()
            var ends: [Int] = []
            for value in values {
                try coder.encode(value, into: &writer)
                ends.append(writer.count)
            }
            var reader = ByteReader(writer.bytes)
            for end in ends {
                try coder.skip(&reader)
                #expect(reader.position == end, "\(coder)")
            }
            var decoder = ByteReader(writer.bytes)
            for value in values {
                #expect(try coder.decode(&decoder) == value)
            }
            #expect(decoder.isAtEnd)
        }
    }

    @Test func lengthPrefixUsesTheUnnestedInnerEncoding() throws {
        // Beam writes the inner value with encode() (outer context): no inner length.
        #expect(try CoderSpec.lengthPrefix(.bytes).encoded(.bytes([0xAB, 0xCD])) == [2, 0xAB, 0xCD])
        #expect(try CoderSpec.lengthPrefix(.kv(.bytes, .bytes)).encoded(.kv(.bytes([1]), .bytes([2]))) == [3, 1, 1, 2])
    }

    @Test func bareOpaqueCannotBeSkippedOrDecoded() {
        let pickled = CoderSpec.opaque(urn: "beam:coders:python:pickle")
        var reader = ByteReader([1, 2])
        #expect(throws: CoderError.unknownCoder(urn: "beam:coders:python:pickle")) { try pickled.skip(&reader) }
        #expect(throws: CoderError.self) { try pickled.decode([1, 2]) }
        #expect(throws: CoderError.self) { try CoderSpec.kv(.bytes, pickled).skip(&reader) }
    }

    @Test func malformedInputThrows() {
        #expect(throws: CoderError.self) { try CoderSpec.bool.decode([2]) }
        #expect(throws: CoderError.self) { try CoderSpec.nullable(.bytes).decode([5]) }
        #expect(throws: CoderError.self) { try CoderSpec.stringUTF8.decode([1, 0xFF]) }
        #expect(throws: CoderError.trailingBytes(1)) { try CoderSpec.varint.decode([1, 2]) }
        #expect(throws: CoderError.self) { try CoderSpec.bytes.decode([5, 1]) }
        #expect(throws: CoderError.self) { try CoderSpec.varint.encoded(.string("x")) }
    }

    @Test func unknownLengthIterablesDecodeAndSkip() throws {
        // Count -1, then blocks of (varint count, elements), ended by 0.
        let bytes: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 2, 1, 2, 1, 3, 0]
        #expect(try CoderSpec.iterable(.varint).decode(bytes) == .iterable([.int(1), .int(2), .int(3)]))
        var reader = ByteReader(bytes + [9])
        try CoderSpec.iterable(.varint).skip(&reader)
        #expect(reader.remainingCount == 1)
        // A state-backed continuation token is not something the runner can expand.
        let stateBacked: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0xFF, count: 9) + [1, 1, 0x41]
        #expect(throws: CoderError.self) { try CoderSpec.iterable(.varint).decode(stateBacked) }
    }

    @Test func windowsEncodeByCoder() throws {
        #expect(try CoderSpec.globalWindow.encodedWindow(.global) == [])
        #expect(hex(try CoderSpec.intervalWindow.encodedWindow(.interval(start: 0, end: 10000))) == "8000000000002710904e")
        let custom = CoderSpec.lengthPrefix(.opaque(urn: "custom"))
        var reader = ByteReader([2, 0xAA, 0xBB, 0x99])
        let window = try custom.decodeWindow(&reader)
        #expect(window == .opaque([2, 0xAA, 0xBB]), "opaque windows keep their whole encoding")
        #expect(try custom.encodedWindow(window) == [2, 0xAA, 0xBB])
        #expect(throws: CoderError.self) { try CoderSpec.globalWindow.encodedWindow(.interval(start: 0, end: 1)) }
        #expect(throws: CoderError.self) { try CoderSpec.intervalWindow.encodedWindow(.global) }
    }
}
