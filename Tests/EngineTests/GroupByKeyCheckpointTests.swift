import BeamCore
import Engine
import Foundation
import Testing

/// A streaming job's checkpoint of a GroupByKey: an operator restored from the
/// JSON of another's checkpoint, built the same way, goes on exactly as the
/// original would have (buffered values, trigger counts, merged sessions,
/// holds and late-data state included).
@Suite struct GroupByKeyCheckpointTests {
    private func roundTrip(_ driver: TranscriptDriver, into fresh: TranscriptDriver) throws -> TranscriptDriver {
        var restored = fresh
        let data = try JSONEncoder().encode(try driver.gbk.checkpoint())
        try restored.gbk.restore(try JSONDecoder().decode(GroupingCheckpoint.self, from: data))
        restored.watermark = driver.watermark
        restored.clock = driver.clock
        return restored
    }

    @Test(arguments: [WindowFnSpec.fixed(sizeMillis: 10, offsetMillis: 0), .sessions(gapMillis: 10)])
    func aRestoredOperatorContinuesAsTheOriginal(windowFn: WindowFnSpec) throws {
        func make() throws -> TranscriptDriver {
            try TranscriptDriver(windowFn, trigger: .afterEndOfWindow(early: .afterCount(2), late: .always), lateness: 20)
        }
        var original = try make()
        _ = try original.input([1, 3, 12], key: "a")
        _ = try original.input([5], key: "b")
        _ = try original.advance(watermark: 11)
        _ = try original.input([2], key: "a")  // late for [0, 10), within the lateness
        var restored = try roundTrip(original, into: try make())
        #expect(restored.gbk.hold == original.gbk.hold)
        #expect(restored.gbk.droppedLateElements == original.gbk.droppedLateElements)

        var outputs: [[Pane]] = []
        for var driver in [original, restored] {
            var panes = try driver.input([13, 14], key: "a")
            panes += try driver.advance(watermark: 25)
            panes += try driver.input([6], key: "b")  // late, within the lateness
            panes += try driver.advance(watermark: 40)
            panes += try driver.input([4], key: "b")  // dropped: past the window's lateness
            panes += try driver.advance(watermark: BeamTime.maxTimestamp)
            outputs.append(panes)
            #expect(driver.gbk.droppedLateElements == 1)
        }
        #expect(!outputs[0].isEmpty)
        #expect(outputs[0] == outputs[1])
    }

    @Test func theBatchOperatorKeepsNoCheckpoint() throws {
        let windowing = WindowingSpec(windowFn: .global, timestampCombiner: .endOfWindow, windowCoder: .globalWindow,
                                      allowedLatenessMillis: 0, trigger: .default, accumulation: .discarding,
                                      closingBehavior: .emitAlways, onTimeBehavior: .fireAlways)
        let batch = BatchGroupByKey(keyCoder: .stringUTF8, valueCoder: .varint, windowing: windowing)
        #expect(throws: EngineError.self) { try batch.checkpoint() }
    }
}
