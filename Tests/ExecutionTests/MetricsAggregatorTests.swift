import BeamCore
import BeamModel
import Foundation
import Testing
@testable import Execution

@Suite struct MetricsAggregatorTests {
    private func info(_ type: String, _ payload: [UInt8], name: String = "n") -> MonitoringInfo {
        MonitoringInfo.with {
            $0.urn = "beam:metric:user:\(type.split(separator: ":")[2]):v1"
            $0.type = type
            $0.labels = ["NAMESPACE": "ns", "NAME": name, "PTRANSFORM": "t"]
            $0.payload = Data(payload)
        }
    }

    private func varints(_ values: [Int64]) -> [UInt8] {
        var writer = ByteWriter()
        values.forEach { writer.writeVarInt64($0) }
        return writer.bytes
    }

    @Test func countersAddAndDistributionsCombine() throws {
        let aggregator = MetricsAggregator()
        aggregator.add([info("beam:metrics:sum_int64:v1", varints([3])),
                        info("beam:metrics:distribution_int64:v1", varints([2, 10, 4, 6]), name: "d")])
        aggregator.add([info("beam:metrics:sum_int64:v1", varints([4])),
                        info("beam:metrics:distribution_int64:v1", varints([1, 1, 1, 1]), name: "d")])
        let results = aggregator.results
        #expect(results.attempted == results.committed)
        let byName = Dictionary(uniqueKeysWithValues: results.committed.map { ($0.labels["NAME"]!, $0) })
        #expect([UInt8](byName["n"]!.payload) == varints([7]))
        #expect([UInt8](byName["d"]!.payload) == varints([3, 11, 1, 6]))
    }

    @Test func stringSetsUnionAndGaugesKeepTheLatest() throws {
        let coder = CoderSpec.iterable(.stringUTF8)
        func set(_ strings: [String]) throws -> [UInt8] {
            var writer = ByteWriter()
            try coder.encode(.iterable(strings.map { .string($0) }), into: &writer)
            return writer.bytes
        }
        let aggregator = MetricsAggregator()
        aggregator.add([info("beam:metrics:set_string:v1", try set(["a", "b"])),
                        info("beam:metrics:latest_int64:v1", varints([100, 5]), name: "g")])
        aggregator.add([info("beam:metrics:set_string:v1", try set(["b", "c"])),
                        info("beam:metrics:latest_int64:v1", varints([50, 9]), name: "g")])
        let byName = Dictionary(uniqueKeysWithValues: aggregator.results.committed.map { ($0.labels["NAME"]!, $0) })
        var reader = ByteReader([UInt8](byName["n"]!.payload))
        guard case .iterable(let strings) = try coder.decode(&reader) else { Issue.record("not an iterable"); return }
        #expect(Set(strings) == [.string("a"), .string("b"), .string("c")])
        #expect([UInt8](byName["g"]!.payload) == varints([100, 5]), "the gauge reported at t=100 stays")
    }

    @Test func boundedTriesMergeIntoOnePathOrATreeNeverBoth() throws {
        func trie(_ paths: [[String]]) -> MetricsAggregator.BoundedTrie {
            .with { $0.bound = 100; if paths.count == 1 { $0.singleton = paths[0] } }
        }
        let same = MetricsAggregator.mergeTries(trie([["a", "b"]]), trie([["a", "b"]]))
        #expect(same.singleton == ["a", "b"] && !same.hasRoot)
        let two = MetricsAggregator.mergeTries(trie([["a", "b"]]), trie([["a", "c"]]))
        #expect(two.singleton.isEmpty && two.hasRoot)
        #expect(Set(two.root.children["a"]?.children.keys.map { $0 } ?? []) == ["b", "c"])
        let three = MetricsAggregator.mergeTries(two, trie([["d"]]))
        #expect(three.singleton.isEmpty && Set(three.root.children.keys) == ["a", "d"])
        #expect(MetricsAggregator.mergeTries(trie([]), trie([["x"]])).singleton == ["x"])
        // Through the aggregator, as Spark's attempted metrics sum the reports of several tasks.
        let aggregator = MetricsAggregator()
        for path in [["a", "b"], ["a", "c"]] {
            aggregator.add([info("beam:metrics:bounded_trie:v1", [UInt8](try trie([path]).serializedData()), name: "t")])
        }
        let merged = try MetricsAggregator.BoundedTrie(serializedBytes: try #require(aggregator.results.committed.first).payload)
        #expect(merged.singleton.isEmpty && merged.hasRoot)
    }

    @Test func failedAttemptsCountAsAttemptedOnly() {
        let aggregator = MetricsAggregator()
        aggregator.add([info("beam:metrics:sum_int64:v1", varints([5]))])
        aggregator.addFailedAttempt([info("beam:metrics:sum_int64:v1", varints([2])),
                                     info("beam:metrics:sum_int64:v1", varints([1]), name: "only-failed")])
        let results = aggregator.results(inProgress: [[info("beam:metrics:sum_int64:v1", varints([3]))]])
        let committed = Dictionary(uniqueKeysWithValues: results.committed.map { ($0.labels["NAME"]!, [UInt8]($0.payload)) })
        let attempted = Dictionary(uniqueKeysWithValues: results.attempted.map { ($0.labels["NAME"]!, [UInt8]($0.payload)) })
        #expect(committed == ["n": varints([5])])
        #expect(attempted == ["n": varints([10]), "only-failed": varints([1])])
    }
}
