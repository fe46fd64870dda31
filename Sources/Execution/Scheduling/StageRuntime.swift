import BeamCore
import BeamModel
import Planner
import Worker

/// What one fused stage has waiting and running: input delivered by its
/// producers (one queue per key lane for a keyed stage, else one), timers
/// its bundles set, splittable-DoFn residuals to resume, and the bundles in
/// flight with the lanes they hold. Each of them holds the stage's output
/// watermark.
///
/// Owned by the scheduler; bundles drain it.
final class StageRuntime {
    let stage: FusedStage
    /// windowed_value(element, window) of the stage's input PCollection.
    let inputCoder: CoderSpec
    /// How a keyed stage's work is partitioned; nil for other stages (and a
    /// keyed stage whose key the runner cannot read: one lane, one bundle at a time).
    let keyLanes: KeyLanes?
    /// Input not yet sent to a bundle, by lane.
    private(set) var queues: [PendingQueue]
    var timers: PendingTimers
    private(set) var residuals: [Residual] = []
    /// Bundles running now: their holds and the lanes they own.
    private var inFlight: [Int: (hold: Int64, lanes: Set<Int>)] = [:]
    private(set) var busyLanes: Set<Int> = []
    /// Where a keyed stage's next bundle starts looking for work, so every lane gets its turn.
    var laneCursor = 0
    /// The watermark up to which user state of expired windows has been cleared.
    var stateExpiredThrough = BeamTime.minTimestamp
    /// Consecutive timer-only bundles at watermark +inf, to stop timers that loop forever.
    var drainingTimerRounds = 0
    /// Set when the job drains: residuals resume at once, whatever delay the SDK asked for.
    private(set) var isDraining = false

    /// Lanes of a keyed stage: enough that every worker finds one free.
    static let laneCount = 64

    struct Residual: Codable {
        /// Elements in the stage source's coder.
        let data: [UInt8]
        /// Wall-clock millis before which the SDK asked not to resume it.
        let resumeAt: Int64
        /// The SDK's estimate of the output watermark of the remaining work.
        let hold: Int64
    }

    init(_ stage: FusedStage, inputCoder: CoderSpec) {
        self.stage = stage
        self.inputCoder = inputCoder
        let lanes = stage.isKeyed ? KeyLanes(inputCoder: inputCoder, count: Self.laneCount) : nil
        self.keyLanes = lanes
        queues = Array(repeating: PendingQueue(), count: lanes?.count ?? 1)
        timers = PendingTimers(stage.timerFamilies, lanes: lanes)
    }

    /// Whether a lane's work may go into a new bundle: any time in a stage
    /// without keys, only while no bundle owns it in a keyed one.
    func isFree(lane: Int) -> Bool {
        !stage.isKeyed || !busyLanes.contains(lane)
    }

    var hold: Int64 {
        min(pendingHold, timers.hold, residualHold, inFlightHold)
    }

    /// No queued element is earlier than this (unless late).
    var pendingHold: Int64 { queues.map(\.hold).min() ?? BeamTime.maxTimestamp }

    var pendingBytes: Int { queues.reduce(0) { $0 + $1.byteCount } }

    var hasPending: Bool { queues.contains { !$0.isEmpty } }

    /// Work a splittable DoFn has left holds back the watermark seen by the
    /// transforms fused after it, timers included.
    var residualHold: Int64 { residuals.map(\.hold).min() ?? BeamTime.maxTimestamp }

    /// What running bundles may still emit is no earlier than this.
    var inFlightCount: Int { inFlight.count }

    var inFlightHold: Int64 { inFlight.values.map(\.hold).min() ?? BeamTime.maxTimestamp }

    var isIdle: Bool { !hasPending && timers.isEmpty && residuals.isEmpty && inFlight.isEmpty }

    /// Queues a chunk of encoded input, split by lane in a keyed stage.
    func deliver(_ chunk: [UInt8], hold: Int64) throws {
        guard !chunk.isEmpty else { return }
        guard let keyLanes else {
            queues[0].append(chunk, hold: hold)
            return
        }
        var byLane: [Int: ByteWriter] = [:]
        var reader = ByteReader(chunk)
        while !reader.isAtEnd {
            let element = try inputCoder.readEncoded(&reader)
            byLane[try keyLanes.lane(ofElement: element), default: ByteWriter()].writeBytes(element)
        }
        for (lane, writer) in byLane { queues[lane].append(writer.bytes, hold: hold) }
    }

    /// Takes up to the bounds from one lane's queue (and, in a splittable
    /// DoFn's stage, up to `maxWeight` of the restrictions' sizes).
    func take(lane: Int, maxElements: Int, maxBytes: Int, maxWeight: Double = .infinity)
        throws -> (elements: [ArraySlice<UInt8>], hold: Int64) {
        try queues[lane].take(maxElements: maxElements, maxBytes: maxBytes, coder: inputCoder,
                              maxWeight: maxWeight, weight: restrictionSize)
    }

    /// A splittable DoFn's process input is KV(KV(element, restriction), size:
    /// double): the SDK's size estimate is the element's last 8 bytes. Nil for other stages.
    var restrictionSize: ((ArraySlice<UInt8>) -> Double)? {
        guard stage.residualTransformID != nil, inputCoder.isKnown,
              case .windowedValue(.kv(_, .double), _) = inputCoder else { return nil }
        return { element in
            guard element.count >= 8 else { return 0 }
            let bits = element.suffix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let size = Double(bitPattern: bits)
            return size.isFinite && size > 0 ? size : 0
        }
    }

    /// The summed size estimates of the queued restrictions (nil outside a splittable DoFn's stage).
    func pendingRestrictionSize() throws -> Double? {
        guard let weight = restrictionSize else { return nil }
        return try queues.reduce(0) { $0 + (try $1.totalWeight(coder: inputCoder, weight: weight)) }
    }

    /// Moves a lane's elements that may run now to the front of its queue; returns how many there are.
    func moveReadyToFront(lane: Int, isReady: (ArraySlice<UInt8>) throws -> Bool) throws -> Int {
        try queues[lane].moveToFront(coder: inputCoder, where: isReady)
    }

    // MARK: Bundles in flight

    func begin(bundle id: Int, hold: Int64, lanes: Set<Int>) {
        inFlight[id] = (hold, lanes)
        if stage.isKeyed { busyLanes.formUnion(lanes) }
    }

    func end(bundle id: Int) {
        guard let bundle = inFlight.removeValue(forKey: id) else { return }
        if stage.isKeyed { busyLanes.subtract(bundle.lanes) }
    }

    // MARK: Residuals

    /// Queues work the SDK handed back (a checkpoint or a split's residual),
    /// resumed after its requested delay. It holds at the SDK's watermark
    /// estimate (never below `outputWatermark`), else at `hold`.
    func addResidual(_ residual: Org_Apache_Beam_Model_FnExecution_V1_DelayedBundleApplication,
                     outputWatermark: Int64, hold: Int64) {
        let estimate = residual.application.outputWatermarks.values.map(\.millis).min()
        residuals.append(Residual(data: [UInt8](residual.application.element),
                                  resumeAt: isDraining ? 0 : ProcessingClock.wallMillis + max(0, residual.requestedTimeDelay.millis),
                                  hold: estimate.map { max($0, outputWatermark) } ?? hold))
    }

    /// Residuals of a checkpoint, queued again as they were.
    func restore(residuals restored: [Residual]) {
        residuals += restored
    }

    /// The job drains: every residual is due now (its bundle truncates it).
    func startDraining() {
        isDraining = true
        residuals = residuals.map { Residual(data: $0.data, resumeAt: 0, hold: $0.hold) }
    }

    /// Up to `limit` residuals whose resume time has come, removed.
    func takeDueResiduals(wallNow: Int64, limit: Int = .max) -> [Residual] {
        var due: [Residual] = []
        residuals.removeAll { residual in
            guard due.count < limit, residual.resumeAt <= wallNow else { return false }
            due.append(residual)
            return true
        }
        return due
    }

    func dueResidualCount(wallNow: Int64) -> Int {
        residuals.count { $0.resumeAt <= wallNow }
    }

    var nextResidualResume: Int64? { residuals.map(\.resumeAt).min() }
}
