import BeamCore
import BeamModel
import Foundation

/// Serves a large side-input value in pages linked by continuation tokens.
/// The SDK decodes every page on its own, so pages end only between whole
/// elements (`ElementBoundaries.boundary`). The token is the byte
/// offset of the next page.
enum SideInputPaging {
    static let pageBytes = 1 << 20

    static func page(_ bytes: [UInt8], elementCoder: CoderSpec, continuationToken: Data) throws -> Org_Apache_Beam_Model_FnExecution_V1_StateGetResponse {
        var start = 0
        if !continuationToken.isEmpty {
            guard let text = String(data: continuationToken, encoding: .utf8), let offset = Int(text),
                  (0...bytes.count).contains(offset) else {
                throw ExecutionError("Unknown side-input continuation token")
            }
            start = offset
        }
        if bytes.count - start <= pageBytes {
            return .with { $0.data = Data(bytes[start...]) }
        }
        let end = try ElementBoundaries.boundary(from: start, in: bytes, spacing: pageBytes, coder: elementCoder)
        return .with {
            $0.data = Data(bytes[start..<end])
            if end < bytes.count { $0.continuationToken = Data(String(end).utf8) }
        }
    }
}
