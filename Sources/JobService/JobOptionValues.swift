import BeamModel
import SwiftProtobuf

extension Google_Protobuf_Struct {
    /// `--experiments`, as Beam's SDKs send them.
    public var beamExperiments: [String] {
        guard case .listValue(let list)? = fields["beam:option:experiments:v1"]?.kind else { return [] }
        return list.values.compactMap { if case .stringValue(let text)? = $0.kind { text } else { nil } }
    }
}

extension Job {
    /// `--streaming`, or a pipeline with an unbounded PCollection.
    public var isStreaming: Bool {
        if case .boolValue(true)? = options.fields["beam:option:streaming:v1"]?.kind { return true }
        return pipeline.components.pcollections.values.contains { $0.isBounded == .unbounded }
    }
}
