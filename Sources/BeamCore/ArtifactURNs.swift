/// URNs of artifact types and roles (beam_runner_api.proto, StandardArtifacts).
public enum ArtifactURNs {
    public static let fileType = "beam:artifact:type:file:v1"
    public static let urlType = "beam:artifact:type:url:v1"
    public static let embeddedType = "beam:artifact:type:embedded:v1"
    public static let stagingToRole = "beam:artifact:role:staging_to:v1"
}
