import BeamCore

/// A streaming job's checkpoint of one GroupByKey: every (key, window)'s
/// buffered values, trigger state, holds and pending wake-ups, and the clocks
/// the operator has seen. The codec, windowing and trigger program are not in
/// it: they come from the plan, which a restored job rebuilds the same way.
extension TriggeredGroupByKey {
    public struct Checkpoint: Codable, Sendable {
        var keys: KeyRegistry
        var table: WindowTable
        var eventWakes: SlotHeap
        var processingWakes: SlotHeap
        var holds: SlotHeap
        var inputWatermark: Int64
        var processingTime: Int64
        var outputWatermark: Int64
        var unmergedKeys: Set<Int>
        var droppedLateElements: Int
    }

    public func checkpoint() -> GroupingCheckpoint {
        .triggered(Checkpoint(keys: keys, table: table, eventWakes: eventWakes, processingWakes: processingWakes,
                              holds: holds, inputWatermark: inputWatermark, processingTime: processingTime,
                              outputWatermark: outputWatermark, unmergedKeys: unmergedKeys,
                              droppedLateElements: droppedLateElements))
    }

    public mutating func restore(_ checkpoint: GroupingCheckpoint) {
        guard case .triggered(let state) = checkpoint else { return }
        keys = state.keys
        table = state.table
        eventWakes = state.eventWakes
        processingWakes = state.processingWakes
        holds = state.holds
        inputWatermark = state.inputWatermark
        processingTime = state.processingTime
        outputWatermark = state.outputWatermark
        unmergedKeys = state.unmergedKeys
        droppedLateElements = state.droppedLateElements
    }
}
