import BeamCore
import Planner

/// A TestStream being replayed: which event is next, and the watermark of
/// each of its outputs. The scheduler applies one event each time the rest of
/// the pipeline has nothing left to do, so every event sees the effects of
/// all earlier ones.
final class TestStreamRuntime {
    let step: TestStreamStep
    private var next = 0
    /// Runner PCollection -> watermark.
    private(set) var watermarks: [String: Int64]

    init(_ step: TestStreamStep) {
        self.step = step
        watermarks = Dictionary(uniqueKeysWithValues: step.outputs.values.map { ($0, BeamTime.minTimestamp) })
        if step.events.isEmpty { finish() }
    }

    var isExhausted: Bool { next >= step.events.count }

    /// How many events were replayed (for a checkpoint).
    var position: Int { next }

    /// Back to where a checkpoint left the stream.
    func restore(position: Int, watermarks: [String: Int64]) {
        next = min(position, step.events.count)
        self.watermarks = watermarks
    }

    /// The next event, advancing past it (a watermark event moves its output's
    /// watermark). Once the caller has applied the last one it calls `finish`.
    func takeEvent() -> TestStreamStep.Event? {
        guard !isExhausted else { return nil }
        let event = step.events[next]
        next += 1
        if case .watermark(let tag, let millis) = event, let output = step.outputs[tag] {
            watermarks[output] = max(watermarks[output] ?? BeamTime.minTimestamp, min(millis, BeamTime.maxTimestamp))
        }
        return event
    }

    /// The job drains: the events not yet replayed are dropped and every output goes to +inf.
    func stopReplay() {
        next = step.events.count
        finish()
    }

    /// Every output at +inf: the stream has nothing more to say.
    func finish() {
        for output in watermarks.keys { watermarks[output] = BeamTime.maxTimestamp }
    }
}
