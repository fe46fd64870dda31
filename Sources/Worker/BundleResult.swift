import BeamModel

/// What one successful bundle produced: the SDK's ProcessBundleResponse plus
/// every data and timer stream it sent, each complete (`is_last` seen).
/// Returned by `SDKWorker.processBundle`; Execution commits it to the engine.
public struct BundleResult: Sendable {
    /// The instruction id the bundle ran under (for FinalizeBundle, logs).
    public var instructionID: String
    /// Sink transform id -> its elements, concatenated in arrival order.
    public var outputs: [String: [UInt8]]
    /// (transform id, timer family id) -> the timers set, concatenated in arrival order.
    public var timers: [BundleTimerKey: [UInt8]]
    /// Residual roots, monitoring infos/data, requires_finalization.
    public var response: Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleResponse

    public init(
        instructionID: String,
        outputs: [String: [UInt8]],
        timers: [BundleTimerKey: [UInt8]],
        response: Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleResponse
    ) {
        self.instructionID = instructionID
        self.outputs = outputs
        self.timers = timers
        self.response = response
    }
}

/// Names one timer stream on the data plane: a transform's timer family.
public struct BundleTimerKey: Hashable, Sendable, CustomStringConvertible {
    public var transformID: String
    public var timerFamilyID: String

    public init(transformID: String, timerFamilyID: String) {
        self.transformID = transformID
        self.timerFamilyID = timerFamilyID
    }

    public var description: String { "\(transformID)/\(timerFamilyID)" }
}
