import BeamModel

/// Builds the descriptor a splittable DoFn's stage runs with while its job
/// drains: the runner source feeds the SDK's TruncateSizedRestriction
/// (`beam:transform:sdf_truncate_sized_restrictions:v1`), which feeds the
/// process step, as Beam's model specifies for a drain. Called by the planner
/// for every stage that starts with ProcessSizedElementsAndRestrictions.
enum SDFTruncation {
    /// `descriptor` with the truncate step between source `sourceID` and
    /// transform `process`; both ends of it keep the process input's coder
    /// (the runner's), so residuals and splits read as in the plain stage.
    static func descriptor(_ descriptor: ProcessBundleDescriptor, sourceID: String, process: String) -> ProcessBundleDescriptor? {
        guard var source = descriptor.transforms[sourceID], let processTransform = descriptor.transforms[process],
              let (sourceTag, restrictions) = source.outputs.first, source.outputs.count == 1,
              let mainTag = processTransform.inputs.first(where: { $0.value == restrictions })?.key
        else { return nil }
        var truncating = descriptor
        let untruncated = "\(restrictions)/untruncated"
        truncating.pcollections[untruncated] = descriptor.pcollections[restrictions]
        source.outputs[sourceTag] = untruncated
        truncating.transforms[sourceID] = source
        var truncate = processTransform
        truncate.uniqueName = "\(processTransform.uniqueName)/TruncateSizedRestriction"
        truncate.spec.urn = TransformURNs.sdfTruncateSizedRestrictions
        // Side inputs stay: the SDK builds the truncating DoFn runner with the process step's inputs.
        truncate.inputs[mainTag] = untruncated
        truncate.outputs = ["out": restrictions]
        truncating.transforms["\(process)/truncate"] = truncate
        return truncating
    }
}
