import BeamCore
import Engine
import Planner

/// A GroupByKey step's operator and how far it has been advanced.
final class GroupByKeyRuntime {
    let step: GroupByKeyStep
    var grouping: any GroupingOperator
    /// The input watermark and processing time of the last `advance`.
    var advancedWatermark = BeamTime.minTimestamp
    var advancedProcessingTime = Int64.min

    init(step: GroupByKeyStep, grouping: any GroupingOperator) {
        self.step = step
        self.grouping = grouping
    }

    /// Whether advancing now could fire or collect anything.
    func needsAdvance(inputWatermark: Int64, processingTime: Int64) -> Bool {
        if inputWatermark > advancedWatermark { return true }
        guard let deadline = grouping.nextProcessingTimeDeadline else { return false }
        return deadline <= processingTime && processingTime > advancedProcessingTime
    }
}
