import Foundation

/// What execution reports about a running job for dashboards: its fused
/// stages with watermarks and backlog, its SDK workers, and autoscaling
/// decisions. Execution replaces it as the job runs; the web UI reads it and
/// the job store keeps the last one. Times and watermarks are Beam millis.
public struct JobRuntimeStatus: Sendable, Codable, Equatable {
    /// A step of the plan: a fused stage run on SDK workers, or a step the
    /// runner executes itself (`kind`: stage, groupByKey, flatten, impulse, testStream).
    public struct Stage: Sendable, Codable, Equatable {
        public var id: String
        public var kind: String
        /// Pipeline transform ids, or unique names for fused stages.
        public var transforms: [String]
        public var environment: String
        public var inputWatermark: Int64?
        public var outputWatermark: Int64?
        public var bundlesInFlight: Int
        /// Encoded bytes of input waiting for a bundle.
        public var pendingBytes: Int

        public init(id: String, kind: String, transforms: [String], environment: String, inputWatermark: Int64? = nil,
                    outputWatermark: Int64? = nil, bundlesInFlight: Int = 0, pendingBytes: Int = 0) {
            self.id = id
            self.kind = kind
            self.transforms = transforms
            self.environment = environment
            self.inputWatermark = inputWatermark
            self.outputWatermark = outputWatermark
            self.bundlesInFlight = bundlesInFlight
            self.pendingBytes = pendingBytes
        }
    }

    public struct Worker: Sendable, Codable, Equatable {
        public var id: String
        public var environment: String
        public var pid: Int32?
        public var state: String
        public var bundles: Int

        public init(id: String, environment: String, pid: Int32?, state: String, bundles: Int) {
            self.id = id
            self.environment = environment
            self.pid = pid
            self.state = state
            self.bundles = bundles
        }
    }

    public struct ScalingDecision: Sendable, Codable, Equatable {
        public var time: Int64
        public var environment: String
        public var workers: Int
        public var reason: String

        public init(time: Int64, environment: String, workers: Int, reason: String) {
            self.time = time
            self.environment = environment
            self.workers = workers
            self.reason = reason
        }
    }

    public var stages: [Stage] = []
    public var workers: [Worker] = []
    /// Newest last, bounded (see `record(_:)`).
    public var autoscaling: [ScalingDecision] = []

    public init() {}

    public var bundlesInFlight: Int { stages.reduce(0) { $0 + $1.bundlesInFlight } }

    /// Live workers: not stopped.
    public var liveWorkers: Int { workers.filter { $0.state != "stopped" }.count }

    public mutating func record(_ decision: ScalingDecision) {
        autoscaling.append(decision)
        if autoscaling.count > Self.autoscalingHistory { autoscaling.removeFirst(autoscaling.count - Self.autoscalingHistory) }
    }

    static let autoscalingHistory = 200
}
