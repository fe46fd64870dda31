import BeamCore
import BeamModel
import Foundation
import JobService
import Logging
import Planner
import SwiftProtobuf

/// The Spark tasks of one job on one executor (`beam-job-server
/// spark-stage`, kept by a Spark Python worker for the tasks it runs):
/// plans the job's pipeline as the job server did, then for each task takes
/// its segment's steps, reads the partition (and the side inputs) from
/// stdin, runs the steps with our own scheduler against a local SDK harness
/// (kept warm between tasks), and writes the segment's output PCollections
/// as records to stdout, then the task's messages and metrics. Retrying is
/// Spark's: a failed bundle ends the process (status 1, the reason on stderr)
/// and fails its task.
public struct SparkStageExecutor {
    /// A serialized PrepareJobRequest: the pipeline and its options.
    let request: Org_Apache_Beam_Model_JobManagement_V1_PrepareJobRequest
    /// Staged artifact path on the job server -> where Spark put its copy here.
    let artifactPaths: [String: String]
    let logger: Logger

    public init(requestFile: URL, artifactMapFile: URL?, logger: Logger) throws {
        request = try .init(serializedBytes: Data(contentsOf: requestFile))
        if let artifactMapFile {
            artifactPaths = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: artifactMapFile))
        } else {
            artifactPaths = [:]
        }
        self.logger = logger
    }

    public func run(input: FileHandle = .standardInput, output: FileHandle = .standardOutput) async throws {
        let pipeline = try localArtifacts(request.pipeline)
        let plan = try PipelinePlanner.plan(pipeline)
        let segments = try SparkSegments(plan)
        var options = request.pipelineOptions
        if case .listValue(let sent)? = options.fields.removeValue(forKey: SparkSegments.fingerprintsOption)?.kind {
            let expected = sent.values.map { if case .stringValue(let text)? = $0.kind { text } else { "" } }
            guard expected == segments.fingerprints(of: plan) else {
                throw ExecutionError("spark-stage: this executor cuts the plan differently from the job server (different beam-job-server builds?)")
            }
        }
        // Harnesses stay warm between the tasks this process serves.
        let settings = ExecutionSettings(artifacts: try artifactStore(), bundleRetries: BundleRetryPolicy(maxAttempts: 1),
                                         workerBudget: WorkerBudget(maxWorkers: 1), environmentCache: Self.warmFor, logger: logger)
        let reader = SparkTaskInput(input)
        let out = SparkTaskOutput(output)
        do {
            var served = 0
            while let segmentID = try reader.nextTask() {
                guard segments.segments.indices.contains(segmentID) else {
                    throw ExecutionError("spark-stage: the pipeline has \(segments.segments.count) segments, not \(segmentID + 1)")
                }
                served += 1
                let job = Job(id: "spark-task-\(served)", name: request.jobName, stagingToken: "", pipeline: pipeline, options: options)
                try await runTask(segments.segments[segmentID], of: plan, cut: segments, reader: reader,
                                  job: job, settings: settings, out: out)
            }
        } catch {
            await settings.workerPool.shutdown()
            throw error
        }
        await settings.workerPool.shutdown()
    }

    /// How long a harness waits for this process's next task.
    static let warmFor: Duration = .seconds(600)

    private func runTask(_ segment: SparkSegments.Segment, of plan: ExecutionPlan, cut: SparkSegments,
                         reader: SparkTaskInput, job: Job, settings: ExecutionSettings, out: SparkTaskOutput) async throws {
        let outputs = Set(segment.outputs)
        let keys = try BoundaryKeys(plan: plan, keyed: cut.keyed.intersection(outputs), spread: cut.spread.intersection(outputs))
        var sideInputs = try reader.readSideInputs()
        for side in segment.sideInputs where sideInputs[side] == nil { sideInputs[side] = [] }  // empty, but given
        let boundary = PlanBoundary(sideInputs: sideInputs, feed: SparkPartitionFeed(reader), fed: Set(segment.input.pcollections),
                                    outputs: outputs) { pcollection, chunk in
            try keys.records(of: pcollection, chunk: chunk) { key, value in
                try out.record(tag: pcollection, key: key, value: value)
            }
        }
        try await JobRun(job: job, plan: plan.part(segment.steps), settings: settings, logger: logger, boundary: boundary).run()
        for message in job.messages where message.importance.rawValue >= JobMessage.MessageImportance.jobMessageWarning.rawValue {
            try out.message(message.messageText, importance: UInt8(clamping: message.importance.rawValue))
        }
        try out.metrics(try job.metrics.serializedData())
        try out.end()
    }

    /// The pipeline with its staged files at the paths Spark gave them here.
    private func localArtifacts(_ pipeline: Pipeline) throws -> Pipeline {
        var pipeline = pipeline
        for (id, var environment) in pipeline.components.environments {
            environment.dependencies = try environment.dependencies.map { artifact in
                guard artifact.typeUrn == ArtifactURNs.fileType,
                      var payload = try? ArtifactFilePayload(serializedBytes: artifact.typePayload) else { return artifact }
                guard let local = artifactPaths[payload.path] else {
                    throw ExecutionError("spark-stage: staged file \(payload.path) was not shipped to this executor")
                }
                var artifact = artifact
                payload.path = local
                artifact.typePayload = try payload.serializedData()
                return artifact
            }
            pipeline.components.environments[id] = environment
        }
        return pipeline
    }

    /// Serves the shipped files (they share Spark's files folder), or nothing.
    private func artifactStore() throws -> ArtifactStore {
        guard let first = artifactPaths.values.first else { return try ArtifactStore.temporary() }
        return try ArtifactStore(root: URL(fileURLWithPath: first).deletingLastPathComponent())
    }
}

extension ExecutionPlan {
    /// The plan of some of its steps, for the environments those use.
    func part(_ indices: [Int]) -> ExecutionPlan {
        var part = self
        part.steps = indices.map { steps[$0] }
        let used = Set(part.registeredStages.map(\.environmentID))
        part.environments = environments.filter { used.contains($0.key) }
        return part
    }
}

/// Cuts committed chunks of boundary PCollections into Spark records: one
/// per element, with its encoded key, for PCollections a shuffle reads;
/// one per element, keyless, for those a repartition spreads; the whole
/// chunk as one record otherwise.
struct BoundaryKeys: Sendable {
    /// The windowed-value coder of each PCollection cut per element; its key coder when shuffled.
    private let coders: [String: (windowed: CoderSpec, key: CoderSpec?)]

    init(plan: ExecutionPlan, keyed: Set<String>, spread: Set<String>) throws {
        var coders: [String: (CoderSpec, CoderSpec?)] = [:]
        for id in keyed.union(spread) {
            guard let pcollection = plan.pcollections[id] else {
                throw ExecutionError("spark-stage: no PCollection '\(id)' in the plan")
            }
            let windowed = CoderSpec.windowedValue(element: pcollection.element, window: pcollection.window)
            guard keyed.contains(id) else {
                coders[id] = (windowed, nil)
                continue
            }
            guard case .kv(let key, _) = pcollection.element else {
                throw ExecutionError("spark-stage: shuffled PCollection '\(id)' is not a KV")
            }
            coders[id] = (windowed, key)
        }
        self.coders = coders
    }

    func records(of pcollection: String, chunk: [UInt8],
                 _ emit: (ArraySlice<UInt8>, ArraySlice<UInt8>) throws -> Void) throws {
        guard let (windowed, keyCoder) = coders[pcollection] else {
            try emit([], chunk[...])
            return
        }
        var reader = ByteReader(chunk)
        while !reader.isAtEnd {
            let element = try windowed.readEncoded(&reader)
            guard let keyCoder else {
                try emit([], element)
                continue
            }
            var inner = ByteReader(element)
            try windowed.skipWindowedValueHeader(&inner)
            try emit(try keyCoder.readEncoded(&inner), element)
        }
    }
}
