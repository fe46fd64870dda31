import BeamCore
import Engine
import Testing

/// Trigger kinds, accumulation, processing time and holds of `TriggeredGroupByKey`
/// beyond the transcripts (expected panes worked out from Java's ReduceFnRunner).
@Suite struct TriggerBehaviorTests {
    let fixed10 = WindowFnSpec.fixed(sizeMillis: 10, offsetMillis: 0)
    let globalEnd = BeamTime.globalWindowMaxTimestamp

    func global(_ values: [Int64], _ pane: PaneInfo) -> Pane {
        Pane(window: .global, values: values, timestamp: globalEnd, pane: pane)
    }

    @Test func repeatedCountDiscardsOrAccumulates() throws {
        var discarding = try TranscriptDriver(.global, trigger: .repeatedly(.afterCount(2)), accumulation: .discarding)
        // Triggers are asked once per bundle: three elements, one pane.
        #expect(try discarding.input([1, 2, 3]) == [global([1, 2, 3], .early(0))])
        #expect(try discarding.input([4]).isEmpty)
        #expect(try discarding.input([5]) == [global([4, 5], .early(1))])
        #expect(try discarding.input([6]).isEmpty)
        #expect(try discarding.advance(watermark: BeamTime.maxTimestamp) == [
            global([6], .onTime(2, nonSpeculative: 0, last: true))
        ])

        var accumulating = try TranscriptDriver(.global, trigger: .repeatedly(.afterCount(2)))
        #expect(try accumulating.input([1, 2, 3]) == [global([1, 2, 3], .early(0))])
        #expect(try accumulating.input([4, 5]) == [global([1, 2, 3, 4, 5], .early(1))])
        #expect(try accumulating.input([6]).isEmpty)
        #expect(try accumulating.advance(watermark: BeamTime.maxTimestamp) == [
            global([1, 2, 3, 4, 5, 6], .onTime(2, nonSpeculative: 0, last: true))
        ])
    }

    @Test func afterEachRunsSubtriggersInTurn() throws {
        var driver = try TranscriptDriver(
            .global, trigger: .afterEach([.afterCount(2), .afterCount(3)]), accumulation: .discarding)
        #expect(try driver.input([1]).isEmpty)
        #expect(try driver.input([2]) == [global([1, 2], .early(0))])
        #expect(try driver.input([3, 4]).isEmpty)
        #expect(try driver.input([5]) == [global([3, 4, 5], .early(1).last())])
        // Finished: the window drops further elements and has nothing left to say.
        #expect(try driver.input([6]).isEmpty)
        #expect(try driver.advance(watermark: BeamTime.maxTimestamp).isEmpty)
    }

    @Test func orFinallyStopsWhenFinallyFires() throws {
        var driver = try TranscriptDriver(
            .global, trigger: .orFinally(main: .repeatedly(.afterCount(1)), finally: .afterCount(3)),
            accumulation: .discarding)
        #expect(try driver.input([1]) == [global([1], .early(0))])
        #expect(try driver.input([2]) == [global([2], .early(1))])
        #expect(try driver.input([3]) == [global([3], .early(2).last())])
        #expect(try driver.input([4]).isEmpty)
        #expect(try driver.advance(watermark: BeamTime.maxTimestamp).isEmpty)
    }

    @Test func afterAllAndAfterAnyWaitForTheirSubtriggers() throws {
        var all = try TranscriptDriver(
            .global, trigger: .afterAll([.afterCount(2), .afterProcessingTime([.delay(5)])]), accumulation: .discarding)
        #expect(try all.input([1, 2]).isEmpty)
        #expect(all.gbk.nextProcessingTimeDeadline == 5)
        #expect(try all.advance(clock: 5) == [global([1, 2], .early(0).last())])
        #expect(all.gbk.nextProcessingTimeDeadline == nil)

        var any = try TranscriptDriver(
            .global, trigger: .afterAny([.afterCount(3), .afterProcessingTime([.delay(5)])]), accumulation: .discarding)
        #expect(try any.input([1]).isEmpty)
        #expect(try any.advance(clock: 4).isEmpty)
        #expect(try any.advance(clock: 5) == [global([1], .early(0).last())])
    }

    @Test func processingTimeTriggersFireAsTheClockAdvances() throws {
        var driver = try TranscriptDriver(
            .global, trigger: .repeatedly(.afterProcessingTime([.delay(10)])), accumulation: .discarding)
        #expect(driver.gbk.nextProcessingTimeDeadline == nil)
        _ = try driver.advance(clock: 100)
        #expect(try driver.input([1]).isEmpty)
        _ = try driver.advance(clock: 105)
        // The pane's first element sets the deadline.
        #expect(try driver.input([2]).isEmpty)
        #expect(driver.gbk.nextProcessingTimeDeadline == 110)
        #expect(try driver.advance(clock: 109).isEmpty)
        #expect(try driver.advance(clock: 110) == [global([1, 2], .early(0))])
        #expect(driver.gbk.nextProcessingTimeDeadline == nil)
        _ = try driver.advance(clock: 120)
        #expect(try driver.input([3]).isEmpty)
        #expect(driver.gbk.nextProcessingTimeDeadline == 130)
        #expect(try driver.advance(clock: 200) == [global([3], .early(1))])

        // Delay, then align to the next multiple of 50 after offset 5: 141 + 10 -> 155.
        var aligned = try TranscriptDriver(
            .global, trigger: .afterProcessingTime([.delay(10), .alignTo(period: 50, offset: 5)]))
        _ = try aligned.advance(clock: 141)
        #expect(try aligned.input([1]).isEmpty)
        #expect(aligned.gbk.nextProcessingTimeDeadline == 155)
        #expect(try aligned.advance(clock: 154).isEmpty)
        #expect(try aligned.advance(clock: 155) == [global([1], .early(0).last())])
    }

    @Test func earlyProcessingTimeFiringsThenOnTime() throws {
        var driver = try TranscriptDriver(
            fixed10, trigger: .afterEndOfWindow(early: .afterProcessingTime([.delay(10)]), late: nil),
            accumulation: .discarding)
        #expect(try driver.input([1]).isEmpty)
        #expect(try driver.advance(clock: 10) == [Pane(0, 10, [1], .early(0))])
        _ = try driver.advance(clock: 12)
        #expect(try driver.input([2]).isEmpty)
        #expect(driver.gbk.nextProcessingTimeDeadline == 22)
        #expect(try driver.advance(watermark: 10) == [Pane(0, 10, [2], .onTime(1, nonSpeculative: 0, last: true))])
        // The finished window's pending deadline is gone.
        #expect(driver.gbk.nextProcessingTimeDeadline == nil)
    }

    @Test func synchronizedProcessingTimeFiresPerBundle() throws {
        var driver = try TranscriptDriver(
            .global, trigger: .repeatedly(.afterSynchronizedProcessingTime), accumulation: .discarding)
        #expect(try driver.input([1, 2]) == [global([1, 2], .early(0))])
        #expect(try driver.input([3]) == [global([3], .early(1))])
    }

    @Test func neverFiresOnlyAtGarbageCollection() throws {
        var driver = try TranscriptDriver(fixed10, trigger: .never, lateness: 5)
        #expect(try driver.input([1, 2]).isEmpty)
        #expect(try driver.advance(watermark: 10).isEmpty)
        #expect(try driver.input([3]).isEmpty)
        #expect(try driver.advance(watermark: 15) == [Pane(0, 10, [1, 2, 3], .onTime(last: true))])
    }

    @Test func alwaysFiresPerBundleAndEmitsTheOnTimePane() throws {
        var driver = try TranscriptDriver(.global, trigger: .always, accumulation: .discarding)
        #expect(try driver.input([1, 2]) == [global([1, 2], .early(0))])
        #expect(try driver.input([3]) == [global([3], .early(1))])
        #expect(try driver.advance(watermark: BeamTime.maxTimestamp) == [
            global([], .onTime(2, nonSpeculative: 0, last: true))
        ])
    }

    @Test func lateDataForAFreshWindowIsALatePane() throws {
        var driver = try TranscriptDriver(fixed10, lateness: 100)
        #expect(try driver.advance(watermark: 50).isEmpty)
        // The output watermark is already past the window: nothing can be on time.
        #expect(try driver.input([7]) == [Pane(0, 10, [7], .late(0, nonSpeculative: 0))])
        #expect(try driver.input([8]) == [Pane(0, 10, [7, 8], .late(1, nonSpeculative: 1))])
    }

    @Test func emptyPanesFollowClosingAndOnTimeBehaviors() throws {
        var quiet = try TranscriptDriver(
            fixed10, trigger: .afterEndOfWindow(early: .afterCount(2), late: nil), accumulation: .discarding,
            closing: .emitIfNonEmpty, onTime: .fireIfNonEmpty)
        #expect(try quiet.input([1, 2, 14, 18]) == [Pane(0, 10, [1, 2], .early(0)), Pane(10, 20, [14, 18], .early(0))])
        #expect(try quiet.input([6]).isEmpty)
        // No hold was left by the early panes, and [10, 20) has no empty on-time pane.
        #expect(quiet.gbk.hold == 9)
        #expect(try quiet.advance(watermark: 100) == [Pane(0, 10, [6], .onTime(1, nonSpeculative: 0, last: true))])

        var closing = try TranscriptDriver(fixed10, accumulation: .discarding, lateness: 100, closing: .emitIfNonEmpty)
        #expect(try closing.input([1]).isEmpty)
        #expect(try closing.advance(watermark: 50) == [Pane(0, 10, [1], .onTime(last: false))])
        #expect(try closing.advance(watermark: 200).isEmpty)
    }

    @Test func holdsFollowElementsFiringsAndGarbageCollection() throws {
        var driver = try TranscriptDriver(fixed10, accumulation: .discarding)
        #expect(driver.gbk.hold == BeamTime.maxTimestamp)
        _ = try driver.input([1, 12])
        #expect(driver.gbk.hold == 9)
        _ = try driver.advance(watermark: 10)
        #expect(driver.gbk.hold == 19)
        _ = try driver.advance(watermark: 20)
        #expect(driver.gbk.hold == BeamTime.maxTimestamp)

        var earliest = try TranscriptDriver(fixed10, combiner: .earliest)
        _ = try earliest.input([5, 3, 14])
        #expect(earliest.gbk.hold == 3)

        // After an early pane only the garbage-collection hold remains (EMIT_ALWAYS).
        var early = try TranscriptDriver(
            fixed10, trigger: .afterEndOfWindow(early: .afterCount(1), late: nil), combiner: .earliest, lateness: 20)
        #expect(try early.input([4]) == [Pane(0, 10, [4], at: 4, .early(0))])
        #expect(early.gbk.hold == 29)
        #expect(try early.input([6]) == [Pane(0, 10, [4, 6], at: 6, .early(1))])
        #expect(early.gbk.hold == 29)

        // Merging sessions move the END_OF_WINDOW hold to the merged window's end.
        var sessions = try TranscriptDriver(.sessions(gapMillis: 10))
        _ = try sessions.input([1])
        #expect(sessions.gbk.hold == 10)
        _ = try sessions.input([8])
        #expect(sessions.gbk.hold == 17)
    }

    @Test func outputIsOrderedByWindowEndThenKey() throws {
        var driver = try TranscriptDriver(fixed10)
        _ = try driver.input([12, 3], key: "b")
        _ = try driver.input([4, 15], key: "a")
        #expect(try driver.advance(watermark: 30) == [
            Pane(key: "b", 0, 10, [3], .onTime(last: true)),
            Pane(key: "a", 0, 10, [4], .onTime(last: true)),
            Pane(key: "b", 10, 20, [12], .onTime(last: true)),
            Pane(key: "a", 10, 20, [15], .onTime(last: true)),
        ])
    }

    @Test func sessionsOfDifferentKeysNeverMerge() throws {
        var driver = try TranscriptDriver(.sessions(gapMillis: 10), trigger: .repeatedly(.afterCount(2)))
        #expect(try driver.input([1], key: "a").isEmpty)
        #expect(try driver.input([5], key: "b").isEmpty)
        #expect(try driver.input([9], key: "a") == [Pane(key: "a", 1, 19, [1, 9], .early(0))])
        #expect(try driver.advance(watermark: BeamTime.maxTimestamp) == [
            Pane(key: "b", 5, 15, [5], .onTime(last: true)),
            Pane(key: "a", 1, 19, [1, 9], .onTime(1, nonSpeculative: 0, last: true)),
        ])
    }

    @Test func unsupportedAndInvalidSpecsThrow() throws {
        #expect(throws: EngineError.self) {
            try TriggeredGroupByKey(
                keyCoder: .stringUTF8, valueCoder: .varint,
                windowing: WindowingSpec(windowFn: .global, windowCoder: .globalWindow, trigger: .afterAll([])))
        }
    }
}
