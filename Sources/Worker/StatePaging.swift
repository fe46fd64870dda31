import BeamModel
import Foundation

/// Splits a large state value into pages linked by continuation tokens, as
/// the State API allows for `get`. SDKs decode each page on its own, so pages
/// break only between whole encoded elements. Handlers call `page`; the token
/// is the index of the page's first element, which only this helper reads.
public enum StatePaging {
    /// The page of `elements` (each one whole encoded element) that
    /// `continuationToken` asks for, at most `maxBytes` long unless a single
    /// element is larger. Nil if the token is not one this helper issued.
    public static func page(
        _ elements: [[UInt8]],
        continuationToken: Data,
        maxBytes: Int = 1 << 20
    ) -> Org_Apache_Beam_Model_FnExecution_V1_StateGetResponse? {
        var start = 0
        if !continuationToken.isEmpty {
            guard let text = String(data: continuationToken, encoding: .utf8), let index = Int(text),
                  (0...elements.count).contains(index) else { return nil }
            start = index
        }
        var data = Data()
        var next = start
        while next < elements.count, data.isEmpty || data.count + elements[next].count <= maxBytes {
            data.append(contentsOf: elements[next])
            next += 1
        }
        return .with {
            $0.data = data
            if next < elements.count { $0.continuationToken = Data(String(next).utf8) }
        }
    }
}
