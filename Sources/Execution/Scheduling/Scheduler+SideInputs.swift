import BeamCore
import Engine
import Planner
import Worker

// Side inputs of the Scheduler's stages: which queued elements may read them
// now, and their materialized contents for a bundle.

extension Scheduler {
    /// The stage's queued input that may run now: all of it once its side
    /// inputs are complete, else the elements whose side windows are ready
    /// (the rest stays queued); nil if none is.
    func readyInput(_ runtime: StageRuntime) throws -> BundleInput? {
        let stage = runtime.stage
        guard let source = plan.pcollections[stage.input.pcollection] else {
            throw ExecutionError("internal: unknown stage input '\(stage.input.pcollection)'")
        }
        let coder = CoderSpec.windowedValue(element: source.element, window: source.window)
        let reads = stage.sideInputs.compactMap { binding in sideInputs[binding.pcollection].map { ($0, watermark(of: binding.pcollection)) } }
        if reads.allSatisfy({ $0.1 >= BeamTime.maxTimestamp }) {
            let chunks = runtime.takePending()
            var input = BundleInput(transformID: stage.input.transformID, data: Array(chunks.joined()))
            input.elementOffsets = ElementBoundaries.offsets(of: chunks, coder: coder)
            return input
        }
        // Elements the runner cannot read (an SDK-only coder) wait for complete side inputs.
        guard coder.isKnown else { return nil }
        let hold = runtime.pendingHold
        let codec = WindowedValueCodec(elementCoder: source.element, windowCoder: source.window)
        var ready: [[UInt8]] = []
        var waiting = ByteWriter()
        for chunk in runtime.takePending() {
            var reader = ByteReader(chunk)
            while !reader.isAtEnd {
                let start = reader.position
                let value = try codec.read(&reader)
                let element = chunk[start..<reader.position]
                let isReady = try reads.allSatisfy { side, watermark in
                    try value.windows.allSatisfy { try side.isReady(for: $0, watermark: watermark) }
                }
                if isReady { ready.append(Array(element)) } else { waiting.writeBytes(element) }
            }
        }
        runtime.deliver(waiting.bytes, hold: hold)
        return ready.isEmpty ? nil : BundleInput(transformID: stage.input.transformID, elements: ready)
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
