import BeamCore
import Engine
import Testing

/// Batch through `TriggeredGroupByKey` (everything added, then the watermark jumps to
/// +inf) must give what `GroupByKey.run` gives: one ON_TIME pane per key and window.
@Suite struct TriggeredBatchTests {
    func triggered(_ chunks: [[UInt8]], windowing: WindowingSpec) throws -> [UInt8] {
        var gbk = try TriggeredGroupByKey(keyCoder: Fixture.keyCoder, valueCoder: Fixture.valueCoder, windowing: windowing)
        var output: [UInt8] = []
        for chunk in chunks {
            output += try gbk.add(chunk[...], inputWatermark: BeamTime.minTimestamp, processingTime: 0)
        }
        output += try gbk.advance(inputWatermark: BeamTime.maxTimestamp, processingTime: 0)
        #expect(gbk.hold == BeamTime.maxTimestamp)
        return output
    }

    /// Both outputs decoded, as a multiset (the two order windows differently; merged
    /// sessions may concatenate values in another order).
    func normalized(_ output: [UInt8], _ windowCoder: CoderSpec) throws -> [String] {
        try Fixture.grouped(output, windowCoder: windowCoder).map {
            var grouped = $0
            grouped.values.sort()
            return grouped.description
        }.sorted()
    }

    @Test(arguments: [
        WindowFnSpec.global, .fixed(sizeMillis: 10, offsetMillis: 0),
        .sliding(sizeMillis: 10, periodMillis: 5, offsetMillis: 0), .sessions(gapMillis: 10),
    ])
    func defaultTriggerMatchesBatchGroupByKey(windowFn: WindowFnSpec) throws {
        let elements: [(String, Int64, Int64)] = [
            ("a", 1, 12), ("b", 2, 14), ("a", 3, 1), ("a", 4, 6), ("a", 5, 40), ("c", 6, 0), ("c", 7, 10), ("b", 8, -3),
        ]
        let windowCoder: CoderSpec = windowFn == .global ? .globalWindow : .intervalWindow
        let windowed = try elements.map {
            Element(key: $0.0, value: $0.1, timestamp: $0.2, windows: try windowFn.assignWindows(timestamp: $0.2))
        }
        let chunks = try [Array(windowed[..<3]), Array(windowed[3...])].map { try Fixture.chunk($0, windowCoder: windowCoder) }
        for combiner in [TimestampCombiner.endOfWindow, .earliest, .latest] {
            let windowing = WindowingSpec(windowFn: windowFn, timestampCombiner: combiner, windowCoder: windowCoder)
            let batch = try GroupByKey.run(
                input: chunks, keyCoder: Fixture.keyCoder, valueCoder: Fixture.valueCoder, windowing: windowing)
            let streamed = try triggered(chunks, windowing: windowing)
            #expect(try normalized(streamed, windowCoder) == normalized(batch, windowCoder))
            #expect(try Fixture.grouped(streamed, windowCoder: windowCoder).allSatisfy { $0.pane == .onTimeOnly })
        }
    }

    @Test func globalWindowBytesMatchBeamPython() throws {
        let input = try Fixture.chunk([
            Element(key: "b", value: 1, timestamp: 10, windows: [.global]),
            Element(key: "a", value: 2, timestamp: 20, windows: [.global]),
        ], windowCoder: .globalWindow)
        let more = try Fixture.chunk([Element(key: "b", value: 3, timestamp: 5, windows: [.global])], windowCoder: .globalWindow)
        let expected = "8020c49ba0bcf7f700000001070162000000020103" + "8020c49ba0bcf7f7000000010701610000000102"
        #expect(try triggered([input, more], windowing: .globalDefault) == bytes(fromHex: expected))
    }

    @Test func opaqueWindowsFireOnlyAtTheEndOfTime() throws {
        let windowCoder = Fixture.opaqueWindowCoder
        let (input, w1, w2) = try Fixture.opaqueWindowInput()
        let custom = Fixture.customWindowFn
        let earliest = WindowingSpec(windowFn: custom, timestampCombiner: .earliest, windowCoder: windowCoder)
        var gbk = try TriggeredGroupByKey(keyCoder: .stringUTF8, valueCoder: .varint, windowing: earliest)
        #expect(try gbk.add(input[...], inputWatermark: BeamTime.minTimestamp, processingTime: 0).isEmpty)
        #expect(try gbk.advance(inputWatermark: BeamTime.globalWindowMaxTimestamp + 1, processingTime: 0).isEmpty)
        #expect(gbk.hold == 1)
        let output = try gbk.advance(inputWatermark: BeamTime.maxTimestamp, processingTime: 0)
        #expect(try Fixture.grouped(output, windowCoder: windowCoder) == [
            Grouped(key: "k", values: [1, 3], timestamp: 1, window: w1),
            Grouped(key: "k", values: [2], timestamp: 4, window: w2),
        ])

        // END_OF_WINDOW of a window with no known end: the panes' element times stand in.
        let endOfWindow = WindowingSpec(windowFn: custom, windowCoder: windowCoder)
        var eow = try TriggeredGroupByKey(keyCoder: .stringUTF8, valueCoder: .varint, windowing: endOfWindow)
        #expect(try eow.add(input[...], inputWatermark: BeamTime.minTimestamp, processingTime: 0).isEmpty)
        let grouped = try Fixture.grouped(try eow.advance(inputWatermark: BeamTime.maxTimestamp, processingTime: 0),
                                          windowCoder: windowCoder)
        #expect(grouped.map(\.values) == [[1, 3], [2]])
    }

    @Test func customMergingWindowsAreMergedAsTheSDKSays() throws {
        let windowCoder = Fixture.opaqueWindowCoder
        let (w1, w2, w3, merged) = (BeamWindow.opaque([1, 1]), BeamWindow.opaque([1, 2]), BeamWindow.opaque([1, 3]),
                                    BeamWindow.opaque([1, 9]))
        let input = try Fixture.chunk([
            Element(key: "k", value: 1, timestamp: 1, windows: [w1]),
            Element(key: "k", value: 2, timestamp: 2, windows: [w2]),
            Element(key: "k", value: 3, timestamp: 3, windows: [w3]),
        ], windowCoder: windowCoder)
        var gbk = try TriggeredGroupByKey(keyCoder: .stringUTF8, valueCoder: .varint,
                                          windowing: WindowingSpec(windowFn: Fixture.customWindowFn, windowCoder: windowCoder, needsMerge: true))
        #expect(try gbk.add(input[...], inputWatermark: BeamTime.minTimestamp, processingTime: 0).isEmpty)
        let pending = gbk.windowsToMerge()
        #expect(pending.count == 1)
        #expect(Set(pending.first?.windows ?? []) == [w1, w2, w3])
        try gbk.merge(key: pending[0].key, [(result: merged, originals: [w1, w3])])
        #expect(gbk.windowsToMerge().isEmpty, "asked once per batch of new elements")
        let grouped = try Fixture.grouped(try gbk.advance(inputWatermark: BeamTime.maxTimestamp, processingTime: 0),
                                          windowCoder: windowCoder)
        #expect(Set(grouped.map(\.window)) == [merged, w2])
        #expect(grouped.first { $0.window == merged }?.values.sorted() == [1, 3])
    }

    @Test func everythingAddedAtInfinityIsDropped() throws {
        let input = try Fixture.chunk([Element(key: "k", value: 1, timestamp: 0, windows: [.global])], windowCoder: .globalWindow)
        var gbk = try TriggeredGroupByKey(keyCoder: .stringUTF8, valueCoder: .varint, windowing: .globalDefault)
        _ = try gbk.advance(inputWatermark: BeamTime.maxTimestamp, processingTime: 0)
        #expect(try gbk.add(input[...], inputWatermark: BeamTime.maxTimestamp, processingTime: 0).isEmpty)
        #expect(gbk.droppedLateElements == 1)
    }
}
