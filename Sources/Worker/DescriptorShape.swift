import BeamModel

/// The data-plane streams a ProcessBundleDescriptor implies: which runner
/// sources need input (and an `is_last`), which runner sinks and timer
/// families the harness will close with `is_last` before a bundle is complete.
/// Computed once when a descriptor is registered; read by `SDKWorker`.
struct DescriptorShape: Sendable {
    static let sourceURN = "beam:runner:source:v1"
    static let sinkURN = "beam:runner:sink:v1"
    static let parDoURN = "beam:transform:pardo:v1"

    /// Runner source transforms, sorted for a stable send order.
    var sources: [String]
    /// Runner sink transforms; each ends with an `is_last` from the harness.
    var sinks: Set<String>
    /// Timer families of the descriptor's ParDos. The SDK reads and writes
    /// them on the data plane only when the descriptor names a timer endpoint.
    var timerFamilies: [BundleTimerKey]

    init(_ descriptor: Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleDescriptor) {
        sources = descriptor.transforms.filter { $0.value.spec.urn == Self.sourceURN }.keys.sorted()
        sinks = Set(descriptor.transforms.filter { $0.value.spec.urn == Self.sinkURN }.keys)
        var families: [BundleTimerKey] = []
        if !descriptor.timerApiServiceDescriptor.url.isEmpty {
            for (transformID, transform) in descriptor.transforms where transform.spec.urn == Self.parDoURN {
                guard let payload = try? Org_Apache_Beam_Model_Pipeline_V1_ParDoPayload(serializedBytes: transform.spec.payload)
                else { continue }
                for family in payload.timerFamilySpecs.keys {
                    families.append(BundleTimerKey(transformID: transformID, timerFamilyID: family))
                }
            }
        }
        timerFamilies = families.sorted { ($0.transformID, $0.timerFamilyID) < ($1.transformID, $1.timerFamilyID) }
    }
}
