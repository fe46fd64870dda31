import BeamCore
import Engine
import Testing

/// Beam's trigger transcripts (apache_beam/testing/data/trigger_transcripts.yaml), with
/// the full PaneInfo the Java runner would produce. Transcript windows [a, b] are
/// [a, b + 1) here; the transcript tests default to accumulating mode.
@Suite struct TriggerTranscriptTests {
    let fixed10 = WindowFnSpec.fixed(sizeMillis: 10, offsetMillis: 0)

    @Test func fixedDefault() throws {
        var driver = try TranscriptDriver(fixed10)
        #expect(try driver.input([1, 2, 3, 10, 11]).isEmpty)
        #expect(try driver.advance(watermark: 25) == [
            Pane(0, 10, [1, 2, 3], .onTime(last: true)),
            Pane(10, 20, [10, 11], .onTime(last: true)),
        ])
    }

    @Test func fixedDefaultLateData() throws {
        var driver = try TranscriptDriver(fixed10, lateness: 100)
        #expect(try driver.input([1, 2, 3, 10, 11, 25]).isEmpty)
        #expect(try driver.advance(watermark: 100) == [
            Pane(0, 10, [1, 2, 3], .onTime(last: false)),
            Pane(10, 20, [10, 11], .onTime(last: false)),
            Pane(20, 30, [25], .onTime(last: false)),
        ])
        #expect(try driver.input([7]) == [Pane(0, 10, [1, 2, 3, 7], .late(1, nonSpeculative: 1))])
        // Garbage collection at the end of the allowed lateness: the final panes
        // (accumulating, so they repeat the window's elements; closing behavior EMIT_ALWAYS).
        #expect(try driver.advance(watermark: 125) == [
            Pane(0, 10, [1, 2, 3, 7], .late(2, nonSpeculative: 2, last: true)),
            Pane(10, 20, [10, 11], .late(1, nonSpeculative: 1, last: true)),
        ])
    }

    @Test func fixedDropLateDataAfterAllowedLateness() throws {
        var driver = try TranscriptDriver(
            fixed10, trigger: .afterEndOfWindow(early: .afterCount(3), late: .afterCount(1)), lateness: 20)
        #expect(try driver.input([1, 2, 10, 11, 80, 81]).isEmpty)
        #expect(try driver.advance(watermark: 100) == [
            Pane(0, 10, [1, 2], .onTime(last: true)),
            Pane(10, 20, [10, 11], .onTime(last: true)),
            Pane(80, 90, [80, 81], .onTime(last: false)),
        ])
        #expect(try driver.input([7, 8]).isEmpty)
        #expect(try driver.input([17, 18]).isEmpty)
        #expect(driver.gbk.droppedLateElements == 4)
        #expect(try driver.input([82]) == [Pane(80, 90, [80, 81, 82], .late(1, nonSpeculative: 1))])
    }

    @Test func timestampCombinerEarliestAndLatest() throws {
        for (combiner, stamps) in [(TimestampCombiner.earliest, [Int64(1), 10, 25]), (.latest, [3, 11, 25])] {
            var driver = try TranscriptDriver(fixed10, combiner: combiner)
            #expect(try driver.input([1, 2, 3, 10, 11, 25]).isEmpty)
            #expect(try driver.advance(watermark: 100) == [
                Pane(0, 10, [1, 2, 3], at: stamps[0], .onTime(last: true)),
                Pane(10, 20, [10, 11], at: stamps[1], .onTime(last: true)),
                Pane(20, 30, [25], at: stamps[2], .onTime(last: true)),
            ])
        }
    }

    @Test func earlyLateSessions() throws {
        var driver = try TranscriptDriver(
            .sessions(gapMillis: 10), trigger: .afterEndOfWindow(early: .afterCount(2), late: .afterCount(3)),
            lateness: 100)
        #expect(try driver.input([1, 2]) == [Pane(1, 12, [1, 2], .early(0))])
        #expect(try driver.input([3]).isEmpty)
        // Merged windows start a fresh pane sequence; the early count carries over.
        #expect(try driver.input([4]) == [Pane(1, 14, [1, 2, 3, 4], .early(0))])
        #expect(try driver.input([5]).isEmpty)
        #expect(try driver.advance(watermark: 100) == [Pane(1, 15, [1, 2, 3, 4, 5], .onTime(last: false))])
        #expect(try driver.input([1]).isEmpty)
        #expect(try driver.input([3, 4]) == [Pane(1, 15, [1, 1, 2, 3, 3, 4, 4, 5], .late(1, nonSpeculative: 1))])
    }

    @Test func discardingEarlyFixed() throws {
        var driver = try TranscriptDriver(
            fixed10, trigger: .afterEndOfWindow(early: .afterCount(2), late: nil), accumulation: .discarding)
        #expect(try driver.input([1, 2]) == [Pane(0, 10, [1, 2], .early(0))])
        #expect(try driver.input([4]).isEmpty)
        #expect(try driver.input([14]).isEmpty)
        #expect(try driver.input([5]) == [Pane(0, 10, [4, 5], .early(1))])
        #expect(try driver.input([18]) == [Pane(10, 20, [14, 18], .early(0))])
        #expect(try driver.input([6]).isEmpty)
        // [10, 20) gets an empty ON_TIME pane: on-time behavior FIRE_ALWAYS.
        #expect(try driver.advance(watermark: 100) == [
            Pane(0, 10, [6], .onTime(2, nonSpeculative: 0, last: true)),
            Pane(10, 20, [], .onTime(1, nonSpeculative: 0, last: true)),
        ])
    }

    @Test func garbageCollectionKeepsTombstonesUntilTheLatenessEnds() throws {
        var driver = try TranscriptDriver(fixed10, trigger: .afterCount(2), accumulation: .discarding, lateness: 10)
        #expect(try driver.input([1, 2, 3, 10, 11, 25]) == [
            Pane(0, 10, [1, 2, 3], .early(0).last()),
            Pane(10, 20, [10, 11], .early(0).last()),
        ])
        // Finished windows drop their elements; the open one still counts.
        #expect(try driver.input([4, 12]).isEmpty)
        #expect(try driver.input([26]) == [Pane(20, 30, [25, 26], .early(0).last())])
        #expect(driver.gbk.droppedLateElements == 0)
        // Once expired, the tombstones go and late data counts as dropped instead.
        #expect(try driver.advance(watermark: 50).isEmpty)
        #expect(try driver.input([5]).isEmpty)
        #expect(driver.gbk.droppedLateElements == 1)
        #expect(driver.gbk.hold == BeamTime.maxTimestamp)
    }

    @Test func knownLateDataWatermark() throws {
        var driver = try TranscriptDriver(fixed10, combiner: .earliest)
        #expect(try driver.advance(watermark: 5).isEmpty)
        #expect(try driver.input([2, 3, 7, 8]).isEmpty)
        // 2 and 3 were behind the watermark: they hold nothing.
        #expect(driver.gbk.hold == 7)
        #expect(try driver.advance(watermark: 11) == [Pane(0, 10, [2, 3, 7, 8], at: 7, .onTime(last: true))])
    }

    @Test func knownLateDataNoWatermarkHoldPossible() throws {
        var driver = try TranscriptDriver(fixed10, combiner: .earliest)
        #expect(try driver.advance(watermark: 8).isEmpty)
        #expect(try driver.input([2, 3, 7]).isEmpty)
        // Only the garbage-collection hold at the window's end remains.
        #expect(driver.gbk.hold == 9)
        #expect(try driver.advance(watermark: 11) == [Pane(0, 10, [2, 3, 7], at: 9, .onTime(last: true))])
    }
}

extension PaneInfo {
    func last() -> PaneInfo {
        var pane = self
        pane.isLast = true
        return pane
    }
}
