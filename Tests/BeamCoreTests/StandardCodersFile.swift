import BeamCore
import Foundation
import Yams

/// Locates and parses Beam's `standard_coders.yaml` (the cross-SDK coder vectors)
/// for `StandardCodersTests`. Never falls back to skipping: a missing file is an error.
enum StandardCodersFile {
    struct Case {
        let index: Int
        let coderNode: Node
        let nested: [Bool]
        let nonDeterministic: Bool
        /// (encoded bytes, expected value node) in file order.
        let examples: [(bytes: [UInt8], value: Node)]
    }

    struct NotFound: Error, CustomStringConvertible {
        let tried: [String]
        var description: String {
            "standard_coders.yaml not found; set BEAM_STANDARD_CODERS_YAML or install apache-beam into "
                + "<repo>/.venv (tried: \(tried.joined(separator: ", ")))"
        }
    }

    static let relativePath = "site-packages/apache_beam/portability/api/standard_coders.yaml"

    static func locate() throws -> String {
        var tried: [String] = []
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["BEAM_STANDARD_CODERS_YAML"] {
            // An explicit choice that is wrong is an error, not a reason to look elsewhere.
            guard fileManager.fileExists(atPath: path) else { throw NotFound(tried: [path]) }
            return path
        }
        let repoRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        for venv in ["\(repoRoot)/.venv"] {
            let lib = "\(venv)/lib"
            let pythons = ((try? fileManager.contentsOfDirectory(atPath: lib)) ?? [])
                .filter { $0.hasPrefix("python3") }.sorted()
            for python in pythons {
                let path = "\(lib)/\(python)/\(relativePath)"
                if fileManager.fileExists(atPath: path) { return path }
                tried.append(path)
            }
            if pythons.isEmpty { tried.append("\(lib)/python3*/\(relativePath)") }
        }
        throw NotFound(tried: tried)
    }

    static func load() throws -> [Case] {
        let text = try String(contentsOfFile: try locate(), encoding: .utf8)
        var cases: [Case] = []
        for (index, document) in try compose_all(yaml: text).enumerated() {
            guard let coder = document["coder"] else { continue }
            let nested = document["nested"]?.bool.map { [$0] } ?? [true, false]
            let nonDeterministic = coder["non_deterministic"]?.bool ?? false
            var examples: [(bytes: [UInt8], value: Node)] = []
            if case let .mapping(mapping)? = document["examples"] {
                for (key, value) in mapping {
                    examples.append((try latin1(key.string ?? ""), value))
                }
            }
            cases.append(Case(index: index, coderNode: coder, nested: nested, nonDeterministic: nonDeterministic, examples: examples))
        }
        return cases
    }

    /// The file writes bytes as strings of code points 0-255 (Python's latin-1).
    static func latin1(_ string: String) throws -> [UInt8] {
        try string.unicodeScalars.map { scalar in
            guard scalar.value <= 0xFF else { throw CoderError.invalidEncoding("non-latin-1 code point \(scalar)") }
            return UInt8(scalar.value)
        }
    }
}

