import BeamCore
import Engine
import Planner
import Worker

// Side inputs of the Scheduler's stages: which queued elements may read them
// now, and their materialized contents for a bundle.

extension Scheduler {
    /// How many queued elements of each free lane may run now, moved to the
    /// front of their queues; nil when the stage's side inputs are complete
    /// and all may. An element may run once every side window it reads is ready.
    func readyCounts(_ runtime: StageRuntime) throws -> [Int: Int]? {
        let stage = runtime.stage
        let reads = stage.sideInputs.compactMap { binding in sideInputs[binding.pcollection].map { ($0, sideInputWatermark(of: binding.pcollection)) } }
        if reads.allSatisfy({ $0.1 >= BeamTime.maxTimestamp }) { return nil }
        guard let source = plan.pcollections[stage.input.pcollection] else {
            throw ExecutionError("internal: unknown stage input '\(stage.input.pcollection)'")
        }
        let codec = WindowedValueCodec(elementCoder: source.element, windowCoder: source.window)
        var counts: [Int: Int] = [:]
        for lane in runtime.queues.indices where runtime.isFree(lane: lane) && !runtime.queues[lane].isEmpty {
            counts[lane] = try runtime.moveReadyToFront(lane: lane) { element in
                var reader = ByteReader(element)
                let value = try codec.read(&reader)
                return try reads.allSatisfy { side, watermark in
                    try value.windows.allSatisfy { try side.isReady(for: $0, watermark: watermark) }
                }
            }
        }
        return counts
    }

    /// Cache tokens for the side inputs' current contents.
    func sideInputTokens(for stage: FusedStage) -> [StateCacheTokens.CacheToken] {
        stage.sideInputs.compactMap { binding in
            sideInputs[binding.pcollection].map {
                bundles.cacheTokens.sideInput(transformID: binding.transformID, localName: binding.localName,
                                           pcollection: binding.pcollection, version: $0.version)
            }
        }
    }

    func sideInputs(for stage: FusedStage) throws -> [BundleStateServer.SideInputKey: BundleStateServer.SideInput] {
        var bound: [BundleStateServer.SideInputKey: BundleStateServer.SideInput] = [:]
        for binding in stage.sideInputs {
            guard let side = sideInputs[binding.pcollection] else {
                throw ExecutionError("internal: unknown side input PCollection '\(binding.pcollection)'")
            }
            bound[.init(transformID: binding.transformID, localName: binding.localName)] = try side.contents()
        }
        return bound
    }
}
