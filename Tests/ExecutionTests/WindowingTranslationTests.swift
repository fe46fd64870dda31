import BeamCore
import BeamModel
import Engine
import Foundation
import Testing
@testable import Execution

@Suite struct WindowingTranslationTests {
    typealias Trigger = Org_Apache_Beam_Model_Pipeline_V1_Trigger

    func count(_ n: Int32) -> Trigger {
        var trigger = Trigger()
        trigger.elementCount.elementCount = n
        return trigger
    }

    @Test func pythonTriggeredStrategyFromTheSDK() throws {
        // Python: FixedWindows(10), AfterWatermark(early=AfterCount(1)), ACCUMULATING.
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../PlannerTests/Fixtures/teststream_triggered.pb")
        let pipeline = try Pipeline(serializedBytes: try Data(contentsOf: url))
        let strategy = try #require(pipeline.components.windowingStrategies.values.first {
            if case .afterEndOfWindow? = $0.trigger.trigger { return true }
            return false
        })
        let spec = try WindowingTranslation.spec(strategy, windowCoder: .intervalWindow)
        #expect(spec.windowFn == .fixed(sizeMillis: 10_000, offsetMillis: 0))
        #expect(spec.trigger == .afterEndOfWindow(early: .afterCount(1), late: nil))
        #expect(spec.accumulation == .accumulating)
        #expect(spec.closingBehavior == .emitIfNonEmpty, "no empty final pane, as Beam's Python runners")
        #expect(spec.onTimeBehavior == .fireAlways)
    }

    @Test func everyTriggerKindAndPaneMode() throws {
        var processing = Trigger()
        var delay = Org_Apache_Beam_Model_Pipeline_V1_TimestampTransform()
        delay.delay.delayMillis = 5
        var align = Org_Apache_Beam_Model_Pipeline_V1_TimestampTransform()
        align.alignTo.period = 10
        align.alignTo.offset = 2
        processing.afterProcessingTime.timestampTransforms = [delay, align]
        var repeated = Trigger()
        repeated.repeat.subtrigger = processing
        var orFinally = Trigger()
        orFinally.orFinally.main = repeated
        orFinally.orFinally.finally = count(3)
        var window = Trigger()
        window.afterEndOfWindow.lateFirings = orFinally
        var each = Trigger()
        each.afterEach.subtriggers = [count(2), { var t = Trigger(); t.never = .init(); return t }()]
        var all = Trigger()
        all.afterAll.subtriggers = [window, each, { var t = Trigger(); t.always = .init(); return t }()]
        var any = Trigger()
        any.afterAny.subtriggers = [all, { var t = Trigger(); t.afterSynchronizedProcessingTime = .init(); return t }()]

        var strategy = WindowingStrategy()
        strategy.windowFn.urn = "beam:window_fn:global_windows:v1"
        strategy.trigger = any
        strategy.accumulationMode = .discarding
        strategy.closingBehavior = .emitIfNonempty
        strategy.onTimeBehavior = .fireIfNonempty
        let spec = try WindowingTranslation.spec(strategy, windowCoder: .globalWindow)
        #expect(spec.trigger == .afterAny([
            .afterAll([
                .afterEndOfWindow(early: nil, late: .orFinally(
                    main: .repeatedly(.afterProcessingTime([.delay(5), .alignTo(period: 10, offset: 2)])),
                    finally: .afterCount(3))),
                .afterEach([.afterCount(2), .never]),
                .always,
            ]),
            .afterSynchronizedProcessingTime,
        ]))
        #expect(spec.accumulation == .discarding)
        #expect(spec.closingBehavior == .emitIfNonEmpty)
        #expect(spec.onTimeBehavior == .fireIfNonEmpty)

        // Unset fields read as Beam's defaults.
        var bare = WindowingStrategy()
        bare.windowFn.urn = "beam:window_fn:global_windows:v1"
        let defaults = try WindowingTranslation.spec(bare, windowCoder: .globalWindow)
        #expect(defaults.trigger == .default)
        #expect(defaults.accumulation == .discarding)
        #expect(defaults.closingBehavior == .emitIfNonEmpty)
        #expect(defaults.onTimeBehavior == .fireAlways)
    }
}
