import BeamCore
import BeamModel
import Foundation

/// A job's MonitoringInfos read for people: user metrics with their committed
/// and attempted values, and element and byte counts per PCollection.
public struct MetricReadings {
    public struct UserMetric {
        public var step: String
        public var namespace: String
        public var name: String
        public var kind: String
        public var committed: JSONValue
        public var attempted: JSONValue
    }

    struct Collection {
        var elements: Int64?
        var bytes: Int64?
    }

    public var user: [UserMetric] = []
    /// By PCollection id, from the committed values.
    var pcollections: [String: Collection] = [:]

    public init(_ results: Org_Apache_Beam_Model_JobManagement_V1_MetricResults) {
        var committed: [String: MonitoringInfo] = [:], attempted: [String: MonitoringInfo] = [:]
        for info in results.committed { committed[Self.key(info)] = info }
        for info in results.attempted { attempted[Self.key(info)] = info }
        for key in Set(committed.keys).union(attempted.keys) {
            guard let info = committed[key] ?? attempted[key] else { continue }
            if info.urn.hasPrefix("beam:metric:user:") {
                let settled = committed[key].map(Self.value) ?? .null
                user.append(UserMetric(step: info.labels["PTRANSFORM"] ?? "", namespace: info.labels["NAMESPACE"] ?? "",
                                       name: info.labels["NAME"] ?? "", kind: Self.kind(info.type),
                                       committed: settled, attempted: attempted[key].map(Self.value) ?? settled))
            } else if let pcollection = info.labels["PCOLLECTION"] {
                // Live counts: what running bundles reported too.
                let latest = attempted[key] ?? info
                if info.urn == "beam:metric:element_count:v1", let count = Self.varints(latest.payload, 1)?.first {
                    pcollections[pcollection, default: Collection()].elements = count
                } else if info.urn == "beam:metric:sampled_byte_size:v1", let values = Self.varints(latest.payload, 2) {
                    pcollections[pcollection, default: Collection()].bytes = values[1]
                }
            }
        }
        user.sort { ($0.step, $0.namespace, $0.name) < ($1.step, $1.namespace, $1.name) }
    }

    public var json: JSONValue {
        .object([
            ("user", .array(user.map { metric in
                .object([
                    ("step", .string(metric.step)), ("namespace", .string(metric.namespace)), ("name", .string(metric.name)),
                    ("kind", .string(metric.kind)), ("committed", metric.committed), ("attempted", metric.attempted),
                ])
            })),
            ("pcollections", .array(pcollections.sorted { $0.key < $1.key }.map { id, counts in
                .object([("id", .string(id)), ("elements", .optional(counts.elements)), ("bytes", .optional(counts.bytes))])
            })),
        ])
    }

    // MARK: Payloads

    private static func key(_ info: MonitoringInfo) -> String {
        info.urn + "|" + info.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    static func kind(_ type: String) -> String {
        switch type {
        case "beam:metrics:sum_int64:v1", "beam:metrics:sum_double:v1": "counter"
        case "beam:metrics:distribution_int64:v1", "beam:metrics:distribution_double:v1": "distribution"
        case "beam:metrics:latest_int64:v1", "beam:metrics:latest_double:v1": "gauge"
        case "beam:metrics:set_string:v1": "stringset"
        default: "other"
        }
    }

    static func value(_ info: MonitoringInfo) -> JSONValue {
        var reader = ByteReader([UInt8](info.payload))
        do {
            switch info.type {
            case "beam:metrics:sum_int64:v1":
                return .int(try reader.readVarInt64())
            case "beam:metrics:sum_double:v1":
                return .double(Double(bitPattern: try reader.readBigEndianUInt64()))
            case "beam:metrics:distribution_int64:v1":
                let count = try reader.readVarInt64(), sum = try reader.readVarInt64()
                let low = try reader.readVarInt64(), high = try reader.readVarInt64()
                return distribution(count: Double(count), sum: Double(sum), min: Double(low), max: Double(high))
            case "beam:metrics:distribution_double:v1":
                let count = try reader.readVarInt64()
                let values = try (0..<3).map { _ in Double(bitPattern: try reader.readBigEndianUInt64()) }
                return distribution(count: Double(count), sum: values[0], min: values[1], max: values[2])
            case "beam:metrics:latest_int64:v1":
                let time = try reader.readVarInt64()
                return .object([("value", .int(try reader.readVarInt64())), ("time", .int(time))])
            case "beam:metrics:latest_double:v1":
                let time = try reader.readVarInt64()
                return .object([("value", .double(Double(bitPattern: try reader.readBigEndianUInt64()))), ("time", .int(time))])
            case "beam:metrics:set_string:v1":
                guard case .iterable(let values) = try CoderSpec.iterable(.stringUTF8).decode(&reader) else { return .null }
                return .array(values.compactMap { if case .string(let text) = $0 { .string(text) } else { nil } })
            default:
                return .null
            }
        } catch {
            return .null
        }
    }

    private static func distribution(count: Double, sum: Double, min: Double, max: Double) -> JSONValue {
        .object([("count", .double(count)), ("sum", .double(sum)), ("min", .double(min)), ("max", .double(max)),
                 ("mean", count > 0 ? .double(sum / count) : .null)])
    }

    private static func varints(_ payload: Data, _ count: Int) -> [Int64]? {
        var reader = ByteReader([UInt8](payload))
        return try? (0..<count).map { _ in try reader.readVarInt64() }
    }
}
