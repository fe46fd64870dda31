import BeamCore
import BeamModel
import SwiftProtobuf

/// The planner's output: what the runner executes, in dependency order.
/// Runner-side steps (Impulse, GroupByKey, Flatten) work on PCollections kept
/// encoded by the engine; fused stages run in an SDK harness.
public struct ExecutionPlan: Sendable {
    /// Every step after all of its inputs' producers.
    public var steps: [PlanStep]
    /// The PCollections that cross the runner boundary, with the coders of their bytes.
    public var pcollections: [String: RunnerPCollection]
    /// Environments used by fused stages.
    public var environments: [String: Environment]
    /// The pipeline's windowing strategies, for GroupByKey steps.
    public var windowingStrategies: [String: WindowingStrategy]

    /// Fused stages, in execution order.
    public var stages: [FusedStage] {
        steps.compactMap { if case .stage(let stage) = $0 { stage } else { nil } }
    }

    /// Whether a TestStream drives the pipeline (its events make late data possible).
    public var hasTestStream: Bool {
        steps.contains { if case .testStream = $0 { true } else { false } }
    }

    /// Every descriptor a harness must have registered: fused stages, their
    /// truncating variants for a drain, and the window-merging stages of GroupByKeys.
    public var registeredStages: [FusedStage] {
        stages + stages.compactMap(\.truncating)
            + steps.compactMap { if case .groupByKey(let gbk) = $0 { gbk.mergeWindows?.stage } else { nil } }
    }
}

public enum PlanStep: Sendable {
    case impulse(output: String)
    case testStream(TestStreamStep)
    case groupByKey(GroupByKeyStep)
    case flatten(FlattenStep)
    case stage(FusedStage)
}

public struct GroupByKeyStep: Sendable {
    public let transformID: String
    public let name: String
    public let input: String
    public let output: String
    public let windowingStrategyID: String
    /// For a custom merging WindowFn: the SDK stage that merges its windows.
    public let mergeWindows: MergeWindowsStage?
}

public struct FlattenStep: Sendable {
    public let transformID: String
    public let inputs: [String]
    public let output: String
}

/// A PCollection whose elements the engine holds: concatenated nested
/// encodings of `windowed_value(element, window)`.
public struct RunnerPCollection: Sendable {
    public let id: String
    /// The PCollection in the pipeline this holds data of (differs for transcoded flatten inputs).
    public let pipelinePCollection: String
    public let element: CoderSpec
    public let window: CoderSpec
    public let windowingStrategyID: String
    /// Whether the pipeline marks it unbounded (a streaming source's output).
    public var isUnbounded = false
}

/// One data source or sink of a fused stage.
public struct StagePort: Sendable, Hashable {
    /// The beam:runner:source / beam:runner:sink transform in the descriptor.
    public let transformID: String
    /// The runner PCollection it reads or fills.
    public let pcollection: String
}

/// A side input a stage's transform reads through the State API.
public struct SideInputBinding: Sendable, Hashable {
    public let transformID: String
    public let localName: String
    public let pcollection: String
    public let accessPatternURN: String
}

/// A timer family of a transform in a stage: timers the SDK sets arrive on
/// the data channel in `coder` (beam:coder:timer:v1, key length-prefixed
/// where the runner does not understand it) and are delivered back the same way.
public struct TimerFamilyBinding: Sendable, Hashable {
    public let transformID: String
    public let familyID: String
    public let coder: CoderSpec
    public let isEventTime: Bool
    /// Of the transform's input windowing: event-time timers may fire up to
    /// the window's garbage-collection time.
    public let allowedLateness: Int64

    public init(transformID: String, familyID: String, coder: CoderSpec, isEventTime: Bool, allowedLateness: Int64 = 0) {
        self.transformID = transformID
        self.familyID = familyID
        self.coder = coder
        self.isEventTime = isEventTime
        self.allowedLateness = allowedLateness
    }
}

/// A transform of a stage that uses user state, with what expiring its state
/// needs: the window coder the SDK encodes state-key windows with (its input's,
/// as the SDK has it) and the input's allowed lateness.
public struct StatefulTransformBinding: Sendable, Hashable {
    public let transformID: String
    public let windowCoder: CoderSpec
    public let allowedLateness: Int64
}

/// Transforms fused to run as one bundle in an SDK harness.
public struct FusedStage: Sendable {
    public private(set) var id: String
    public let environmentID: String
    public let input: StagePort
    public let outputs: [StagePort]
    public let sideInputs: [SideInputBinding]
    /// Unique names of the pipeline transforms inside, for messages.
    public let transformNames: [String]
    /// The transforms in the stage that use user state (keyed state requests).
    public let statefulTransforms: [StatefulTransformBinding]
    public var usesUserState: Bool { !statefulTransforms.isEmpty }
    /// The transform right after the source whose residuals (a splittable
    /// DoFn's checkpoints) are fed back to this stage as input, if any.
    public let residualTransformID: String?
    /// Whether the stage starts with a transform that uses user state or
    /// timers: its input is a KV whose key the runner reads, and bundles of
    /// one key must not run at once.
    public let isKeyed: Bool
    /// Timer families of the stage's stateful transforms.
    public let timerFamilies: [TimerFamilyBinding]
    /// The descriptor with a placeholder where the Fn API endpoint goes.
    private(set) var template: ProcessBundleDescriptor
    /// For a splittable DoFn's stage: the same descriptor with the SDK's
    /// TruncateSizedRestriction before the process step (see `truncating`).
    var truncatingTemplate: ProcessBundleDescriptor?

    init(id: String, environmentID: String, input: StagePort, outputs: [StagePort], sideInputs: [SideInputBinding],
         transformNames: [String], statefulTransforms: [StatefulTransformBinding], residualTransformID: String?,
         isKeyed: Bool = false, timerFamilies: [TimerFamilyBinding], template: ProcessBundleDescriptor) {
        self.id = id
        self.environmentID = environmentID
        self.input = input
        self.outputs = outputs
        self.sideInputs = sideInputs
        self.transformNames = transformNames
        self.statefulTransforms = statefulTransforms
        self.residualTransformID = residualTransformID
        self.isKeyed = isKeyed
        self.timerFamilies = timerFamilies
        self.template = template
    }

    /// The stage as it runs while its job drains: every restriction passes
    /// through the DoFn's `truncate_restriction` first (unbounded ones are
    /// dropped by default, bounded ones kept), so a drain ends the source.
    /// Same ports and residual transform; only the id and descriptor differ.
    public var truncating: FusedStage? {
        guard let truncatingTemplate else { return nil }
        var variant = self
        variant.id = "\(id)-truncating"
        variant.template = truncatingTemplate
        variant.truncatingTemplate = nil
        return variant
    }

    /// The descriptor to register, pointing its data ports and State API at `endpoint`.
    public func descriptor(endpoint: String) -> ProcessBundleDescriptor {
        var descriptor = template
        for (id, var transform) in descriptor.transforms
        where transform.spec.urn == TransformURNs.runnerSource || transform.spec.urn == TransformURNs.runnerSink {
            if var port = try? RemoteGrpcPort(serializedBytes: transform.spec.payload) {
                port.apiServiceDescriptor.url = endpoint
                transform.spec.payload = (try? port.serializedData()) ?? transform.spec.payload
                descriptor.transforms[id] = transform
            }
        }
        descriptor.stateApiServiceDescriptor.url = endpoint
        if !timerFamilies.isEmpty { descriptor.timerApiServiceDescriptor.url = endpoint }
        return descriptor
    }
}
