import BeamModel

/// Gathers what the harness sends back for one running bundle — data and
/// timer streams from the data plane, the ProcessBundleResponse from the
/// control plane, in whichever order they arrive — and knows when the bundle
/// is complete: response received and every expected stream closed with
/// `is_last`. Owned by `SDKWorker` inside its lock.
struct BundleCollector {
    let instructionID: String
    let continuation: CheckedContinuation<BundleResult, any Error>
    private var outputs: [String: [UInt8]] = [:]
    private var timers: [BundleTimerKey: [UInt8]] = [:]
    private var openSinks: Set<String>
    private var openTimers: Set<BundleTimerKey>
    private var response: Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleResponse?

    init(instructionID: String, shape: DescriptorShape, continuation: CheckedContinuation<BundleResult, any Error>) {
        self.instructionID = instructionID
        self.continuation = continuation
        self.openSinks = shape.sinks
        self.openTimers = Set(shape.timerFamilies)
    }

    mutating func absorb(_ data: Org_Apache_Beam_Model_FnExecution_V1_Elements.DataMessage) {
        if !data.data.isEmpty { outputs[data.transformID, default: []].append(contentsOf: data.data) }
        if data.isLast { openSinks.remove(data.transformID) }
    }

    mutating func absorb(_ timer: Org_Apache_Beam_Model_FnExecution_V1_Elements.Timers) {
        let key = BundleTimerKey(transformID: timer.transformID, timerFamilyID: timer.timerFamilyID)
        if !timer.timers.isEmpty { timers[key, default: []].append(contentsOf: timer.timers) }
        if timer.isLast { openTimers.remove(key) }
    }

    mutating func absorb(_ elements: Org_Apache_Beam_Model_FnExecution_V1_Elements) {
        elements.data.forEach { absorb($0) }
        elements.timers.forEach { absorb($0) }
    }

    /// Records the successful response, including any elements embedded in it.
    mutating func absorb(_ response: Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleResponse) {
        if response.hasElements { absorb(response.elements) }
        self.response = response
    }

    /// The finished result once the response and every `is_last` arrived.
    var result: BundleResult? {
        guard let response, openSinks.isEmpty, openTimers.isEmpty else { return nil }
        return BundleResult(instructionID: instructionID, outputs: outputs, timers: timers, response: response)
    }

    /// What is still missing, for logs.
    var waitingFor: String {
        var parts: [String] = []
        if response == nil { parts.append("the ProcessBundleResponse") }
        if !openSinks.isEmpty { parts.append("is_last from \(openSinks.sorted().joined(separator: ", "))") }
        if !openTimers.isEmpty { parts.append("is_last from timers \(openTimers.map(\.description).sorted().joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }
}
