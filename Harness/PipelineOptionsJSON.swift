import BeamModel

/// Renders the ProvisionInfo options Struct as the JSON object the harness's
/// `_load_pipeline_options` reads (`{"beam:option:<name>:v1": value, ...}`).
///
/// Struct numbers are doubles and swift-protobuf writes 17 as `17.0`; the
/// harness then hands "17.0" to argparse, which rejects it for int options.
/// Beam's Go boot writes integral numbers without the fraction, so do we.
enum PipelineOptionsJSON {
    static func render(_ info: ProvisionInfo) -> String {
        guard info.hasPipelineOptions, let json = try? info.pipelineOptions.jsonString() else { return "{}" }
        return droppingIntegralFractions(json)
    }

    /// Rewrites number tokens like `-17.0` to `-17`, leaving strings and other
    /// numbers (`1.5`, `1e+21`) untouched.
    static func droppingIntegralFractions(_ json: String) -> String {
        var output: [UInt8] = []
        var token: [UInt8] = []
        var inString = false
        var escaped = false

        func flushToken() {
            output += isIntegralWithZeroFraction(token) ? Array(token.dropLast(2)) : token
            token.removeAll()
        }

        for byte in json.utf8 {
            if inString {
                output.append(byte)
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if isNumberByte(byte) {
                token.append(byte)
            } else {
                flushToken()
                if byte == UInt8(ascii: "\"") { inString = true }
                output.append(byte)
            }
        }
        flushToken()
        return String(decoding: output, as: UTF8.self)
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "-+.eE".utf8.contains(byte)
    }

    /// `-?[0-9]+\.0`
    private static func isIntegralWithZeroFraction(_ token: [UInt8]) -> Bool {
        guard token.count >= 3, token.suffix(2) == Array(".0".utf8) else { return false }
        let digits = token.first == UInt8(ascii: "-") ? token.dropFirst().dropLast(2) : token.dropLast(2)
        return !digits.isEmpty && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
