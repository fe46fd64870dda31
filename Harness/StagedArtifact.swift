import BeamModel
import Foundation

/// One dependency from ProvisionInfo and the file it becomes in the staged
/// folder. Names come from the STAGING_TO role (last path component only, so
/// nothing lands outside the folder); other roles get a generated name, as
/// Beam's Go materializer does.
struct StagedArtifact: Sendable {
    let dependency: ArtifactInformation
    /// File name inside the staged folder.
    let name: String
    /// Lowercase hex sha256 the server promised, when it did.
    let expectedSHA256: String?

    /// A requirements file the SDK staged under the PIP_REQUIREMENTS_FILE role.
    var isPipRequirements: Bool { dependency.roleUrn == BeamURNs.pipRequirementsRole }

    /// Names every dependency, in ProvisionInfo order.
    static func plan(_ dependencies: [ArtifactInformation]) throws -> [StagedArtifact] {
        try dependencies.enumerated().map { index, dependency in
            StagedArtifact(
                dependency: dependency,
                name: try stagedName(of: dependency, index: index + 1),
                expectedSHA256: expectedSHA256(of: dependency))
        }
    }

    private static func stagedName(of dependency: ArtifactInformation, index: Int) throws -> String {
        if dependency.roleUrn == BeamURNs.stagingToRole {
            let role: ArtifactStagingToRolePayload
            do {
                role = try ArtifactStagingToRolePayload(serializedBytes: dependency.rolePayload)
            } catch {
                throw BootFailure(.artifacts, "undecodable staging_to role payload: \(error)")
            }
            guard let name = safeFileName(role.stagedName) else {
                throw BootFailure(.artifacts, "staged name '\(role.stagedName)' is not a usable file name")
            }
            return name
        }
        // No staging name: invent a unique one that keeps the original base name.
        let source: String
        switch dependency.typeUrn {
        case BeamURNs.fileType: source = (try? ArtifactFilePayload(serializedBytes: dependency.typePayload))?.path ?? ""
        case BeamURNs.urlType: source = URL(string: (try? ArtifactUrlPayload(serializedBytes: dependency.typePayload))?.url ?? "")?.path ?? ""
        default: source = ""
        }
        return "\(index)-" + (safeFileName(source) ?? "artifact")
    }

    private static func expectedSHA256(of dependency: ArtifactInformation) -> String? {
        let hash: String?
        switch dependency.typeUrn {
        case BeamURNs.fileType: hash = (try? ArtifactFilePayload(serializedBytes: dependency.typePayload))?.sha256
        case BeamURNs.urlType: hash = (try? ArtifactUrlPayload(serializedBytes: dependency.typePayload))?.sha256
        default: hash = nil
        }
        guard let hash, !hash.isEmpty else { return nil }
        return hash.lowercased()
    }

    /// The last path component, or nil when that is empty, `.` or `..`.
    static func safeFileName(_ raw: String) -> String? {
        let last = raw.split(separator: "/").last.map(String.init) ?? ""
        let cleaned = last.replacingOccurrences(of: "\0", with: "")
        return ["", ".", ".."].contains(cleaned) ? nil : cleaned
    }
}
