import Planner

/// A bounded plan cut into the parts Spark runs as RDD stages. A segment is
/// a run of plan steps one task executes per partition with our own
/// scheduler: it starts at an Impulse, at a shuffle (a GroupByKey, or a
/// stateful stage, whose input Spark partitions by encoded key), at a
/// splittable DoFn's processing (its split restrictions spread evenly over
/// the partitions, so one file's splits are read in parallel), at a
/// Flatten of PCollections from several segments (a union), or at a stage
/// that reads side inputs (every task needs them whole, so they come from
/// earlier segments, broadcast). Everything fused behind such a start runs in
/// the same task. PCollections read by a later segment leave a task as
/// records; those a shuffle reads carry their encoded key, those spread go
/// one element per record.
///
/// Computed the same way by the job server (to write the driver's plan) and
/// by each stage executor (to find its part): both plan the same pipeline.
struct SparkSegments {
    enum Input: Equatable {
        /// One partition with no records: the segment starts at Impulse steps.
        case impulse
        /// The records of these PCollections, partitioned by key.
        case shuffle([String])
        /// The records of these PCollections, one element each, dealt round-robin over the partitions.
        case repartition([String])
        /// The records of these PCollections, as their partitions are.
        case union([String])

        /// What the segment's tasks read as their partition.
        var pcollections: [String] {
            switch self {
            case .impulse: []
            case .shuffle(let pcollections), .repartition(let pcollections), .union(let pcollections): pcollections
            }
        }
    }

    struct Segment {
        let id: Int
        let input: Input
        /// Indices into the plan's steps, in plan order.
        var steps: [Int]
        /// PCollections every task gets whole.
        var sideInputs: [String] = []
        /// PCollections produced here that later segments read.
        var outputs: [String] = []
    }

    private(set) var segments: [Segment] = []

    /// PCollections a shuffle reads: their records carry the element's encoded key.
    private(set) var keyed: Set<String> = []
    /// PCollections a repartition reads: one record per element.
    private(set) var spread: Set<String> = []

    init(_ plan: ExecutionPlan) throws {
        var producer: [String: Int] = [:]
        for (index, step) in plan.steps.enumerated() {
            switch step {
            case .impulse(let output):
                producer[output] = start(.impulse, step: index)
            case .testStream:
                throw ExecutionError("TestStream pipelines are unbounded and run on the local engine")
            case .groupByKey(let gbk):
                producer[gbk.output] = start(.shuffle([gbk.input]), step: index, reading: [gbk.input], from: producer)
            case .flatten(let flatten):
                let sources = Set(flatten.inputs.compactMap { producer[$0] })
                if sources.count == 1, let only = sources.first {
                    segments[only].steps.append(index)
                    producer[flatten.output] = only
                } else {
                    producer[flatten.output] = start(.union(flatten.inputs), step: index, reading: flatten.inputs, from: producer)
                }
            case .stage(let stage):
                let input = stage.input.pcollection
                let segment: Int
                if stage.isKeyed {
                    segment = start(.shuffle([input]), step: index, reading: [input], from: producer)
                } else if stage.residualTransformID != nil {
                    segment = start(.repartition([input]), step: index, reading: [input], from: producer)
                } else if !stage.sideInputs.isEmpty || producer[input] == nil {
                    segment = start(.union([input]), step: index, reading: [input], from: producer)
                } else {
                    segment = producer[input]!
                    segments[segment].steps.append(index)
                }
                for side in Set(stage.sideInputs.map(\.pcollection)).sorted() {
                    segments[segment].sideInputs.append(side)
                    markOutput(side, from: producer)
                }
                stage.outputs.forEach { producer[$0.pcollection] = segment }
            }
        }
    }

    /// A new segment starting at `step`, reading `pcollections` from earlier segments.
    private mutating func start(_ input: Input, step: Int, reading pcollections: [String] = [],
                                from producer: [String: Int] = [:]) -> Int {
        switch input {
        case .shuffle: keyed.formUnion(pcollections)
        case .repartition: spread.formUnion(pcollections)
        case .impulse, .union: break
        }
        pcollections.forEach { markOutput($0, from: producer) }
        segments.append(Segment(id: segments.count, input: input, steps: [step]))
        return segments.count - 1
    }

    private mutating func markOutput(_ pcollection: String, from producer: [String: Int]) {
        guard let segment = producer[pcollection], !segments[segment].outputs.contains(pcollection) else { return }
        segments[segment].outputs.append(pcollection)
    }
}

extension SparkSegments {
    /// The pipeline option carrying the job server's fingerprints to the executors.
    static let fingerprintsOption = "beam-job-server:spark_segments"

    /// What each segment holds, in words another process can compare: the
    /// job server sends these so an executor whose own cut differs fails
    /// instead of running the wrong steps.
    func fingerprints(of plan: ExecutionPlan) -> [String] {
        segments.map { segment in
            let steps = segment.steps.map { index -> String in
                switch plan.steps[index] {
                case .impulse(let output): "impulse:\(output)"
                case .testStream(let step): "testStream:\(step.transformID)"
                case .groupByKey(let gbk): "gbk:\(gbk.transformID)"
                case .flatten(let flatten): "flatten:\(flatten.transformID)"
                case .stage(let stage): "stage:\(stage.transformNames.joined(separator: ","))"
                }
            }
            return (steps + ["outputs:" + segment.outputs.joined(separator: ",")]).joined(separator: ";")
        }
    }
}
