import BeamCore
import Planner
import Testing
import Worker
@testable import Execution

@Suite struct PendingTimersTests {
    let coder = CoderSpec.timer(key: .stringUTF8, window: .globalWindow)
    let family = BundleTimerKey(transformID: "t", timerFamilyID: "f")

    private func timer(_ key: String, at timestamp: Int64?, tag: String = "") throws -> [UInt8] {
        let firing = timestamp.map { DecodedTimer.Firing(fireTimestamp: $0, holdTimestamp: $0, pane: .noFiring) }
        var writer = ByteWriter()
        try coder.encode(.timer(DecodedTimer(userKey: .string(key), dynamicTimerTag: tag, windows: [.global], firing: firing)),
                         into: &writer)
        return writer.bytes
    }

    private func pending() -> PendingTimers {
        PendingTimers([TimerFamilyBinding(transformID: "t", familyID: "f", coder: coder, isEventTime: true)])
    }

    @Test func latestSettingWinsAndClearDrops() throws {
        var timers = pending()
        try timers.record([family: try timer("a", at: 10) + timer("a", at: 20) + timer("b", at: 5) + timer("c", at: 7)])
        try timers.record([family: try timer("c", at: nil)])
        let fired = timers.takeDue(inputWatermark: BeamTime.maxTimestamp, processingTime: .max).inputs
        #expect(timers.isEmpty)
        #expect(fired.count == 1)
        let expected = try timer("b", at: 5) + timer("a", at: 20)
        #expect(fired[0].data == expected, "earliest first; a's reset replaced 10 by 20; c was cleared")
    }

    @Test func dynamicTagsAreSeparateTimers() throws {
        var timers = pending()
        try timers.record([family: try timer("a", at: 1, tag: "x") + timer("a", at: 2, tag: "y")])
        // One timer per key and window per bundle: the second waits for the next round.
        #expect(timers.takeDue(inputWatermark: BeamTime.maxTimestamp, processingTime: .max).inputs[0].data == (try timer("a", at: 1, tag: "x")))
        #expect(timers.takeDue(inputWatermark: BeamTime.maxTimestamp, processingTime: .max).inputs[0].data == (try timer("a", at: 2, tag: "y")))
        #expect(timers.isEmpty)
    }

    @Test func unknownFamiliesAreAnError() throws {
        var timers = pending()
        #expect(throws: (any Error).self) {
            try timers.record([BundleTimerKey(transformID: "t", timerFamilyID: "other"): try timer("a", at: 1)])
        }
    }

    @Test func eventTimersFireOnceTheWatermarkIsPastThemAndHoldItUntilThen() throws {
        var timers = pending()
        try timers.record([family: try timer("a", at: 10) + timer("b", at: 20)])
        #expect(timers.hold == 10)
        #expect(timers.takeDue(inputWatermark: 10, processingTime: 0).isEmpty, "a watermark at 10 may still see data at 10")
        let fired = timers.takeDue(inputWatermark: 11, processingTime: 0).inputs
        #expect(fired.first?.data == (try timer("a", at: 10)))
        #expect(timers.hold == 20)
        #expect(timers.takeDue(inputWatermark: BeamTime.maxTimestamp, processingTime: 0).inputs.first?.data == (try timer("b", at: 20)))
        #expect(timers.hold == BeamTime.maxTimestamp)
    }

    @Test func processingTimeTimersFollowTheClock() throws {
        var timers = PendingTimers([TimerFamilyBinding(transformID: "t", familyID: "f", coder: coder, isEventTime: false)])
        try timers.record([family: try timer("a", at: 1_000)])
        #expect(timers.nextProcessingTime == 1_000)
        #expect(timers.takeDue(inputWatermark: 5_000, processingTime: 999).isEmpty)
        #expect(timers.takeDue(inputWatermark: 0, processingTime: 1_000).inputs.count == 1)
        #expect(timers.nextProcessingTime == nil)
    }
}
