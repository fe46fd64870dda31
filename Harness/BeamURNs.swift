/// Artifact URNs beam-boot reads (beam_runner_api.proto, StandardArtifacts).
/// Kept here because BeamBoot does not depend on BeamCore.
enum BeamURNs {
    static let fileType = "beam:artifact:type:file:v1"
    static let urlType = "beam:artifact:type:url:v1"
    static let stagingToRole = "beam:artifact:role:staging_to:v1"
    static let pipRequirementsRole = "beam:artifact:role:pip_requirements_file:v1"
}
