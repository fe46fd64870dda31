import BeamCore

/// The windowing of a PCollection as the engine uses it: how windows merge, which
/// timestamp grouped output gets, how windows are encoded on the wire, and when
/// grouped panes fire.
///
/// Built by Execution's WindowingTranslation from a WindowingStrategy proto; read by
/// `GroupByKey` (batch) and `TriggeredGroupByKey`.
public struct WindowingSpec: Sendable, Hashable {
    public var windowFn: WindowFnSpec
    public var timestampCombiner: TimestampCombiner
    public var windowCoder: CoderSpec
    public var allowedLatenessMillis: Int64
    /// WindowingStrategy.merge_status == NEEDS_MERGE. Sessions always merge; a custom
    /// WindowFn that needs merging is not supported yet.
    public var needsMerge: Bool
    public var trigger: TriggerSpec
    public var accumulation: AccumulationMode
    public var closingBehavior: ClosingBehavior
    public var onTimeBehavior: OnTimeBehavior

    public init(
        windowFn: WindowFnSpec, timestampCombiner: TimestampCombiner = .endOfWindow, windowCoder: CoderSpec,
        allowedLatenessMillis: Int64 = 0, needsMerge: Bool? = nil, trigger: TriggerSpec = .default,
        accumulation: AccumulationMode = .discarding, closingBehavior: ClosingBehavior = .emitAlways,
        onTimeBehavior: OnTimeBehavior = .fireAlways
    ) {
        self.windowFn = windowFn
        self.timestampCombiner = timestampCombiner
        self.windowCoder = windowCoder
        self.allowedLatenessMillis = allowedLatenessMillis
        if let needsMerge {
            self.needsMerge = needsMerge
        } else if case .sessions = windowFn {
            self.needsMerge = true
        } else {
            self.needsMerge = false
        }
        self.trigger = trigger
        self.accumulation = accumulation
        self.closingBehavior = closingBehavior
        self.onTimeBehavior = onTimeBehavior
    }

    /// Global windows, END_OF_WINDOW: what a PCollection has unless windowed.
    public static let globalDefault = WindowingSpec(windowFn: .global, windowCoder: .globalWindow)
}
