import BeamCore
import JobService

/// The scheduler's view of its steps for dashboards: each step's watermarks,
/// bundles in flight and queued bytes, put on the job at most every
/// `statusInterval` (and once more when the run ends).
extension Scheduler {
    static let statusInterval: Int64 = 250

    func publishStatus(force: Bool = false) {
        let now = ProcessingClock.wallMillis
        guard force || now - lastStatusPublished >= Self.statusInterval else { return }
        lastStatusPublished = now
        let stages = nodes.enumerated().map { index, node in Self.status(of: node, index: index) }
        bundles.job.updateRuntime { $0.stages = stages }
    }

    private static func status(of node: Node, index: Int) -> JobRuntimeStatus.Stage {
        var status = JobRuntimeStatus.Stage(id: "step-\(index)", kind: "", transforms: [], environment: "",
                                            inputWatermark: node.inputWatermark, outputWatermark: node.outputWatermark)
        switch node.kind {
        case .impulse:
            status.kind = "impulse"
        case .testStream(let runtime):
            status.kind = "testStream"
            status.transforms = [runtime.step.transformID]
        case .flatten(let flatten):
            status.kind = "flatten"
            status.transforms = [flatten.transformID]
        case .groupByKey(let runtime):
            status.kind = "groupByKey"
            status.transforms = [runtime.step.transformID]
        case .stage(let runtime):
            status.id = runtime.stage.id
            status.kind = "stage"
            status.transforms = runtime.stage.transformNames
            status.environment = runtime.stage.environmentID
            status.bundlesInFlight = runtime.inFlightCount
            status.pendingBytes = runtime.pendingBytes
        }
        return status
    }
}
