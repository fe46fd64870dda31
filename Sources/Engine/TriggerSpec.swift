/// A PCollection's trigger as the engine runs it: when a GroupByKey emits a pane for
/// a key and window (Beam's Trigger proto, the semantics of Java's TriggerStateMachines).
///
/// Built by Execution's WindowingTranslation from the WindowingStrategy; compiled by
/// `TriggeredGroupByKey` into a `TriggerProgram`.
public indirect enum TriggerSpec: Sendable, Hashable {
    /// Repeatedly(AfterEndOfWindow): on time when the watermark passes the end of the
    /// window, then a late pane after every bundle of late elements.
    case `default`
    /// Fires when the watermark passes the end of the window. `early` fires repeatedly
    /// before that, `late` repeatedly after; with neither the trigger fires once.
    case afterEndOfWindow(early: TriggerSpec?, late: TriggerSpec?)
    /// Fires once the pane holds at least this many elements.
    case afterCount(Int)
    /// Fires once processing time reaches the first element's arrival time mapped by
    /// the transforms, applied in order.
    case afterProcessingTime([ProcessingTimeTransform])
    /// The runner's choice downstream of a processing-time trigger: here a
    /// processing-time trigger with no delay.
    case afterSynchronizedProcessingTime
    /// Fires whenever the subtrigger fires, restarting it each time; never finishes.
    case repeatedly(TriggerSpec)
    /// Fires once every subtrigger has fired.
    case afterAll([TriggerSpec])
    /// Fires once any subtrigger fires.
    case afterAny([TriggerSpec])
    /// Runs the subtriggers one after the other, firing whenever the current one fires.
    case afterEach([TriggerSpec])
    /// Fires like `main` until `finally` fires (that firing is the last).
    case orFinally(main: TriggerSpec, finally: TriggerSpec)
    /// Never fires: only the garbage-collection pane comes out.
    case never
    /// Fires after every bundle that brought elements (Repeatedly(AfterCount(1))).
    case always
}

/// One step mapping an element's arrival processing time to a firing time (millis).
public enum ProcessingTimeTransform: Sendable, Hashable {
    case delay(Int64)
    /// The smallest `offset + k * period` at or after the time.
    case alignTo(period: Int64, offset: Int64)

    /// The time after this step, as Java's DelayFn / AlignFn compute it.
    func apply(_ time: Int64) -> Int64 {
        switch self {
        case let .delay(millis):
            return time &+ millis
        case let .alignTo(period, offset):
            guard period > 0 else { return time }
            var sinceStart = (time &- offset) % period
            if sinceStart < 0 { sinceStart += period }
            return sinceStart == 0 ? time : time &+ (period - sinceStart)
        }
    }
}
