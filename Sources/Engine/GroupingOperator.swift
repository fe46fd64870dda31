import BeamCore

/// What the scheduler needs of a GroupByKey step's operator: elements in,
/// panes out as the input watermark and processing time advance, and the
/// hold that bounds the step's output watermark. `TriggeredGroupByKey` is
/// the general one; `BatchGroupByKey` the fast path for bounded input.
public protocol GroupingOperator: Sendable {
    mutating func add(_ chunk: ArraySlice<UInt8>, inputWatermark: Int64, processingTime: Int64) throws -> [UInt8]
    mutating func advance(inputWatermark: Int64, processingTime: Int64) throws -> [UInt8]
    var hold: Int64 { get }
    var nextProcessingTimeDeadline: Int64? { get }
    /// Windows of keys that need merging by the SDK (custom merging WindowFns).
    mutating func windowsToMerge() -> [(key: [UInt8], windows: [BeamWindow])]
    mutating func merge(key: [UInt8], _ merges: [(result: BeamWindow, originals: [BeamWindow])]) throws
    /// Everything buffered, for a streaming job's checkpoint.
    func checkpoint() throws -> GroupingCheckpoint
    /// Replaces the buffered state with a checkpoint's (of an operator built the same way).
    mutating func restore(_ checkpoint: GroupingCheckpoint) throws
}

/// A grouping operator's state in a checkpoint. Only the triggered operator
/// has one: streaming jobs, the ones checkpointed, always use it.
public enum GroupingCheckpoint: Codable, Sendable {
    case triggered(TriggeredGroupByKey.Checkpoint)
}

extension TriggeredGroupByKey: GroupingOperator {}

/// GroupByKey of bounded input under the default trigger: buffers the input
/// and groups it in one pass (`GroupByKey.run`) once the input watermark
/// reaches +inf, about twice as fast as the triggered operator. Until then it
/// holds the output watermark back entirely.
public struct BatchGroupByKey: GroupingOperator {
    private let keyCoder: CoderSpec
    private let valueCoder: CoderSpec
    private let windowing: WindowingSpec
    private var chunks: [[UInt8]] = []

    public init(keyCoder: CoderSpec, valueCoder: CoderSpec, windowing: WindowingSpec) {
        self.keyCoder = keyCoder
        self.valueCoder = valueCoder
        self.windowing = windowing
    }

    public func checkpoint() throws -> GroupingCheckpoint {
        throw EngineError.unsupported("a checkpoint of the batch GroupByKey (only streaming jobs are checkpointed)")
    }

    public mutating func restore(_ checkpoint: GroupingCheckpoint) throws {
        throw EngineError.unsupported("restoring the batch GroupByKey from a checkpoint")
    }

    /// Whether the one-pass operator gives the triggered operator's result:
    /// the default trigger over windows the runner can merge and time.
    public static func applies(to windowing: WindowingSpec) -> Bool {
        guard windowing.trigger == .default else { return false }
        if case .custom = windowing.windowFn { return false }
        return true
    }

    public mutating func add(_ chunk: ArraySlice<UInt8>, inputWatermark: Int64, processingTime: Int64) throws -> [UInt8] {
        chunks.append(Array(chunk))
        return []
    }

    public mutating func advance(inputWatermark: Int64, processingTime: Int64) throws -> [UInt8] {
        guard inputWatermark >= BeamTime.maxTimestamp, !chunks.isEmpty else { return [] }
        defer { chunks = [] }
        return try GroupByKey.run(input: chunks, keyCoder: keyCoder, valueCoder: valueCoder, windowing: windowing)
    }

    public var hold: Int64 { chunks.isEmpty ? BeamTime.maxTimestamp : BeamTime.minTimestamp }
    public var nextProcessingTimeDeadline: Int64? { nil }
    public mutating func windowsToMerge() -> [(key: [UInt8], windows: [BeamWindow])] { [] }
    public mutating func merge(key: [UInt8], _ merges: [(result: BeamWindow, originals: [BeamWindow])]) throws {}
}
