import Foundation

/// A JSON document as the API writes it: objects keep their key order, so
/// responses read the way Docs/web-api.md shows them.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered == b.rendered }

    public static func int(_ value: Int) -> JSONValue { .int(Int64(value)) }

    public static func optional(_ value: Int64?) -> JSONValue { value.map { .int($0) } ?? .null }

    public static func optional(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }

    public static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

    /// The value of `key` in an object (tests and the CLI read responses with it).
    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }

    public var rendered: String {
        var out = ""
        render(into: &out)
        return out
    }

    private func render(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .double(let value): out += value.isFinite ? String(value) : "null"
        case .string(let value): Self.quote(value, into: &out)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.render(into: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { out += "," }
                Self.quote(key, into: &out)
                out += ":"
                value.render(into: &out)
            }
            out += "}"
        }
    }

    private static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            // `<` escaped so a document can never close a <script> it is embedded in.
            case "<": out += "\\u003c"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension JSONValue {
    /// Short text for tables: numbers and strings as they are, others as JSON.
    public var plain: String {
        switch self {
        case .null: "-"
        case .string(let text): text
        case .int(let value): String(value)
        case .double(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .array(let values): values.map(\.plain).joined(separator: ", ")
        case .object(let fields): fields.map { "\($0.0) \($0.1.plain)" }.joined(separator: ", ")
        case .bool(let flag): flag ? "true" : "false"
        }
    }
}
