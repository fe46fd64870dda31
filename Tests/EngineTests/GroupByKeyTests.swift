import BeamCore
import Engine
import Testing

@Suite struct GroupByKeyTests {
    @Test func globalWindowMatchesBeamPythonBytes() throws {
        let input = try Fixture.chunk([
            Element(key: "b", value: 1, timestamp: 10, windows: [.global]),
            Element(key: "a", value: 2, timestamp: 20, windows: [.global]),
        ], windowCoder: .globalWindow)
        let more = try Fixture.chunk([Element(key: "b", value: 3, timestamp: 5, windows: [.global])], windowCoder: .globalWindow)
        let output = try GroupByKey.run(
            input: [input, more], keyCoder: .stringUTF8, valueCoder: .varint, windowing: .globalDefault)
        // Beam Python: WindowedValueCoder(TupleCoder([StrUtf8Coder(), IterableCoder(VarIntCoder())]),
        // GlobalWindowCoder()) of ('b', [1, 3]) then ('a', [2]) at the global window's end, pane ON_TIME.
        let expected = "8020c49ba0bcf7f700000001070162000000020103" + "8020c49ba0bcf7f7000000010701610000000102"
        #expect(output == bytes(fromHex: expected))
    }

    @Test func fixedWindowsGroupPerKeyAndWindow() throws {
        let output = try Fixture.group(
            [("a", 1, 1), ("b", 2, 3), ("a", 3, 9), ("a", 4, 10), ("b", 5, -1)],
            windowFn: .fixed(sizeMillis: 10, offsetMillis: 0))
        #expect(output == [
            Grouped(key: "a", values: [1, 3], timestamp: 9, window: .interval(start: 0, end: 10)),
            Grouped(key: "a", values: [4], timestamp: 19, window: .interval(start: 10, end: 20)),
            Grouped(key: "b", values: [2], timestamp: 9, window: .interval(start: 0, end: 10)),
            Grouped(key: "b", values: [5], timestamp: -1, window: .interval(start: -10, end: 0)),
        ])
    }

    @Test func slidingWindowsCountAnElementInEachWindow() throws {
        let output = try Fixture.group(
            [("k", 1, 7), ("k", 2, 12)], windowFn: .sliding(sizeMillis: 10, periodMillis: 5, offsetMillis: 0))
        // Windows come out in order of first appearance; Beam assigns later starts first.
        #expect(output == [
            Grouped(key: "k", values: [1, 2], timestamp: 14, window: .interval(start: 5, end: 15)),
            Grouped(key: "k", values: [1], timestamp: 9, window: .interval(start: 0, end: 10)),
            Grouped(key: "k", values: [2], timestamp: 19, window: .interval(start: 10, end: 20)),
        ])
    }

    @Test func sessionsMergeOverlappingProtoSessionsPerKey() throws {
        let output = try Fixture.group(
            [("a", 1, 12), ("b", 2, 14), ("a", 3, 1), ("a", 4, 6), ("a", 5, 40), ("c", 6, 0), ("c", 7, 10)],
            windowFn: .sessions(gapMillis: 10))
        #expect(output == [
            // [12,22) + [1,11) + [6,16) chain into one session; inputs keep their order.
            Grouped(key: "a", values: [1, 3, 4], timestamp: 21, window: .interval(start: 1, end: 22)),
            Grouped(key: "a", values: [5], timestamp: 49, window: .interval(start: 40, end: 50)),
            // Other keys never merge with "a".
            Grouped(key: "b", values: [2], timestamp: 23, window: .interval(start: 14, end: 24)),
            // Touching sessions ([0,10) and [10,20)) do not merge.
            Grouped(key: "c", values: [6], timestamp: 9, window: .interval(start: 0, end: 10)),
            Grouped(key: "c", values: [7], timestamp: 19, window: .interval(start: 10, end: 20)),
        ])
    }

    @Test func earliestAndLatestTimestampCombiners() throws {
        let elements: [(key: String, value: Int64, timestamp: Int64)] = [("a", 1, 5), ("a", 2, 2), ("a", 3, 8), ("a", 4, 15)]
        let fixed = WindowFnSpec.fixed(sizeMillis: 10, offsetMillis: 0)
        #expect(try Fixture.group(elements, windowFn: fixed, combiner: .earliest).map(\.timestamp) == [2, 15])
        #expect(try Fixture.group(elements, windowFn: fixed, combiner: .latest).map(\.timestamp) == [8, 15])
        #expect(try Fixture.group(elements, windowFn: fixed, combiner: .endOfWindow).map(\.timestamp) == [9, 19])
        // Merged sessions [2, 25): the combiner spans every merged element.
        let sessions = WindowFnSpec.sessions(gapMillis: 10)
        #expect(try Fixture.group(elements, windowFn: sessions, combiner: .earliest).map(\.timestamp) == [2])
        #expect(try Fixture.group(elements, windowFn: sessions, combiner: .latest).map(\.timestamp) == [15])
        #expect(try Fixture.group(elements, windowFn: sessions, combiner: .endOfWindow).map(\.timestamp) == [24])
        #expect(try Fixture.group(elements, windowFn: .global, combiner: .latest).map(\.timestamp) == [15])
    }

    @Test func customWindowFnsGroupBySDKAssignedWindows() throws {
        // A length-prefixed window coder the runner cannot decode: windows are opaque bytes.
        let windowCoder = Fixture.opaqueWindowCoder
        let (input, w1, w2) = try Fixture.opaqueWindowInput()
        let custom = Fixture.customWindowFn
        let earliest = WindowingSpec(windowFn: custom, timestampCombiner: .earliest, windowCoder: windowCoder)
        let output = try GroupByKey.run(input: [input], keyCoder: .stringUTF8, valueCoder: .varint, windowing: earliest)
        #expect(try Fixture.grouped(output, windowCoder: windowCoder) == [
            Grouped(key: "k", values: [1, 3], timestamp: 1, window: w1),
            Grouped(key: "k", values: [2], timestamp: 4, window: w2),
        ])

        let endOfWindow = WindowingSpec(windowFn: custom, windowCoder: windowCoder)
        #expect(throws: EngineError.self) {
            try GroupByKey.run(input: [input], keyCoder: .stringUTF8, valueCoder: .varint, windowing: endOfWindow)
        }
        let merging = WindowingSpec(windowFn: custom, windowCoder: windowCoder, needsMerge: true)
        #expect(throws: EngineError.unsupported("merging custom WindowFn beam:window_fn:pickled_python:v1")) {
            try GroupByKey.run(input: [input], keyCoder: .stringUTF8, valueCoder: .varint, windowing: merging)
        }
    }

    @Test func badInputsThrow() throws {
        let global = try Fixture.chunk([Element(key: "k", value: 1, timestamp: 0, windows: [.global])], windowCoder: .globalWindow)
        let sessions = WindowingSpec(windowFn: .sessions(gapMillis: 10), windowCoder: .globalWindow)
        #expect(throws: EngineError.self) {
            try GroupByKey.run(input: [global], keyCoder: .stringUTF8, valueCoder: .varint, windowing: sessions)
        }
        #expect(throws: CoderError.self) {
            try GroupByKey.run(input: [Array(global.dropLast())], keyCoder: .stringUTF8, valueCoder: .varint, windowing: .globalDefault)
        }
    }

    @Test func emptyInputGivesEmptyOutput() throws {
        #expect(try GroupByKey.run(input: [], keyCoder: .bytes, valueCoder: .bytes, windowing: .globalDefault).isEmpty)
        #expect(try GroupByKey.run(input: [[]], keyCoder: .bytes, valueCoder: .bytes, windowing: .globalDefault).isEmpty)
    }
}
