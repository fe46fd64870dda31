import BeamCore
import BeamModel
import Foundation
import Synchronization

/// Sums the MonitoringInfos of a job's successful bundles into one set per
/// (urn, type, labels), merging payloads by their type: counters add,
/// distributions combine, gauges keep the latest, string sets and bounded
/// tries take the union. Failed attempts' last progress is summed apart: it
/// counts among the attempted metrics, never the committed ones.
/// GetJobMetrics serves the result.
final class MetricsAggregator: Sendable {
    private struct Key: Hashable {
        let urn: String
        let type: String
        let labels: [String: String]
    }

    private let merged = Mutex<[Key: MonitoringInfo]>([:])
    private let failedAttempts = Mutex<[Key: MonitoringInfo]>([:])

    /// The committed metrics, merged (for a checkpoint; `add` restores them).
    var committedInfos: [MonitoringInfo] {
        merged.withLock { Array($0.values) }
    }

    func add(_ infos: [MonitoringInfo]) {
        merged.withLock { Self.fold(infos, into: &$0) }
    }

    func addFailedAttempt(_ infos: [MonitoringInfo]) {
        failedAttempts.withLock { Self.fold(infos, into: &$0) }
    }

    private static func fold(_ infos: [MonitoringInfo], into table: inout [Key: MonitoringInfo]) {
        for info in infos {
            let key = Key(urn: info.urn, type: info.type, labels: info.labels)
            table[key] = table[key].map { merge($0, info) } ?? info
        }
    }

    var results: Org_Apache_Beam_Model_JobManagement_V1_MetricResults {
        results(inProgress: [])
    }

    /// Committed: the successful bundles'. Attempted: those plus failed
    /// attempts' last progress and what running bundles reported so far
    /// (`inProgress`, one list per bundle).
    func results(inProgress: [[MonitoringInfo]]) -> Org_Apache_Beam_Model_JobManagement_V1_MetricResults {
        let committed = merged.withLock { $0 }
        var attempted = committed
        Self.fold(failedAttempts.withLock { Array($0.values) }, into: &attempted)
        for infos in inProgress { Self.fold(infos, into: &attempted) }
        func sorted(_ table: [Key: MonitoringInfo]) -> [MonitoringInfo] {
            table.values.sorted { ($0.urn, $0.labels.description) < ($1.urn, $1.labels.description) }
        }
        return .with {
            $0.attempted = sorted(attempted)
            $0.committed = sorted(committed)
        }
    }

    static func merge(_ a: MonitoringInfo, _ b: MonitoringInfo) -> MonitoringInfo {
        var result = b
        do {
            switch a.type {
            case "beam:metrics:sum_int64:v1":
                result.payload = Data(encodeVarints([try varints(a.payload, 1)[0] &+ (try varints(b.payload, 1)[0])]))
            case "beam:metrics:sum_double:v1":
                result.payload = Data(encodeDouble(try double(a.payload) + (try double(b.payload))))
            case "beam:metrics:distribution_int64:v1":
                let x = try varints(a.payload, 4), y = try varints(b.payload, 4)
                result.payload = Data(encodeVarints([x[0] &+ y[0], x[1] &+ y[1], min(x[2], y[2]), max(x[3], y[3])]))
            case "beam:metrics:distribution_double:v1":
                var reader = ByteReader([UInt8](a.payload)), other = ByteReader([UInt8](b.payload))
                let countA = try reader.readVarInt64(), countB = try other.readVarInt64()
                let sa = Double(bitPattern: try reader.readBigEndianUInt64()), mina = Double(bitPattern: try reader.readBigEndianUInt64()), maxa = Double(bitPattern: try reader.readBigEndianUInt64())
                let sb = Double(bitPattern: try other.readBigEndianUInt64()), minb = Double(bitPattern: try other.readBigEndianUInt64()), maxb = Double(bitPattern: try other.readBigEndianUInt64())
                var writer = ByteWriter()
                writer.writeVarInt64(countA + countB)
                for value in [sa + sb, Swift.min(mina, minb), Swift.max(maxa, maxb)] { writer.writeBigEndianUInt64(value.bitPattern) }
                result.payload = Data(writer.bytes)
            case "beam:metrics:latest_int64:v1", "beam:metrics:latest_double:v1":
                // (timestamp millis varint, value): keep the later one.
                let ta = try varints(a.payload, 1)[0], tb = try varints(b.payload, 1)[0]
                result = ta > tb ? a : b
            case "beam:metrics:set_string:v1":
                result.payload = Data(try unionStringSets(a.payload, b.payload))
            case "beam:metrics:bounded_trie:v1":
                result.payload = try mergeTries(try BoundedTrie(serializedBytes: a.payload),
                                                try BoundedTrie(serializedBytes: b.payload)).serializedData()
            default:
                result = b  // unknown types: the most recent report stands
            }
        } catch {
            result = b
        }
        return result
    }

    private static func varints(_ payload: Data, _ count: Int) throws -> [Int64] {
        var reader = ByteReader([UInt8](payload))
        return try (0..<count).map { _ in try reader.readVarInt64() }
    }

    private static func double(_ payload: Data) throws -> Double {
        var reader = ByteReader([UInt8](payload))
        return Double(bitPattern: try reader.readBigEndianUInt64())
    }

    private static func encodeVarints(_ values: [Int64]) -> [UInt8] {
        var writer = ByteWriter()
        values.forEach { writer.writeVarInt64($0) }
        return writer.bytes
    }

    private static func encodeDouble(_ value: Double) -> [UInt8] {
        var writer = ByteWriter()
        writer.writeBigEndianUInt64(value.bitPattern)
        return writer.bytes
    }

    /// Iterable(string_utf8) payloads, unioned.
    private static func unionStringSets(_ a: Data, _ b: Data) throws -> [UInt8] {
        let coder = CoderSpec.iterable(.stringUTF8)
        var readerA = ByteReader([UInt8](a)), readerB = ByteReader([UInt8](b))
        guard case .iterable(let x) = try coder.decode(&readerA), case .iterable(let y) = try coder.decode(&readerB) else {
            return [UInt8](b)
        }
        var seen = Set<CoderValue>()
        let union = (x + y).filter { seen.insert($0).inserted }
        var writer = ByteWriter()
        try coder.encode(.iterable(union), into: &writer)
        return writer.bytes
    }

    typealias BoundedTrie = Org_Apache_Beam_Model_Pipeline_V1_BoundedTrie
    typealias BoundedTrieNode = Org_Apache_Beam_Model_Pipeline_V1_BoundedTrieNode

    /// Two tries as one. A trie is one path (`singleton`) or a tree (`root`), never
    /// both (Beam's SDKs reject such a payload), so differing paths become a tree.
    static func mergeTries(_ x: BoundedTrie, _ y: BoundedTrie) -> BoundedTrie {
        let isEmpty = { (trie: BoundedTrie) in !trie.hasRoot && trie.singleton.isEmpty }
        if isEmpty(x) { return y }
        if isEmpty(y) { return x }
        var merged = BoundedTrie()
        merged.bound = max(x.bound, y.bound)
        if !x.hasRoot, !y.hasRoot, x.singleton == y.singleton {
            merged.singleton = x.singleton
        } else {
            merged.root = mergeTrieNodes(x.hasRoot ? x.root : path(x.singleton), y.hasRoot ? y.root : path(y.singleton))
        }
        return merged
    }

    /// A tree holding one path.
    private static func path(_ segments: [String]) -> BoundedTrieNode {
        var node = BoundedTrieNode()
        if let head = segments.first { node.children[head] = path(Array(segments.dropFirst())) }
        return node
    }

    /// A truncated node stands for everything below it, so it has no children.
    private static func mergeTrieNodes(_ a: BoundedTrieNode, _ b: BoundedTrieNode) -> BoundedTrieNode {
        guard !a.truncated, !b.truncated else { return BoundedTrieNode.with { $0.truncated = true } }
        var node = a
        for (key, child) in b.children {
            node.children[key] = node.children[key].map { mergeTrieNodes($0, child) } ?? child
        }
        return node
    }
}
