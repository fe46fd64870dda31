import BeamCore
import BeamModel
import Foundation
import JobService
import Logging
import SwiftProtobuf
import Testing
@testable import Web

/// The JSON API over a registry with real jobs: shapes as Docs/web-api.md
/// shows them, filters, the graph's counts and stages, metrics, Cancel and errors.
@Suite struct WebAPITests {
    private let registry = JobRegistry(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })

    private func object(_ reply: WebAPI.Reply) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])
    }

    /// Create (composite: Impulse -> Map) -> Count, PROCESS environment.
    private func pipeline() -> Pipeline {
        Pipeline.with { pipeline in
            pipeline.rootTransformIds = ["create", "count"]
            pipeline.components.environments["env"] = .with { $0.urn = "beam:env:process:v1" }
            pipeline.components.transforms["create"] = .with {
                $0.uniqueName = "Create"
                $0.subtransforms = ["impulse", "map"]
                $0.outputs = ["out": "p2"]
            }
            pipeline.components.transforms["impulse"] = .with {
                $0.uniqueName = "Create/Impulse"
                $0.spec.urn = "beam:transform:impulse:v1"
                $0.outputs = ["out": "p1"]
            }
            pipeline.components.transforms["map"] = .with {
                $0.uniqueName = "Create/Map"
                $0.environmentID = "env"
                $0.inputs = ["in": "p1"]
                $0.outputs = ["out": "p2"]
            }
            pipeline.components.transforms["count"] = .with {
                $0.uniqueName = "Count"
                $0.environmentID = "env"
                $0.inputs = ["in": "p2"]
                $0.outputs = ["out": "p3"]
            }
            for id in ["p1", "p2", "p3"] { pipeline.components.pcollections[id] = .with { $0.uniqueName = id } }
        }
    }

    private func counter(_ urn: String, _ labels: [String: String], _ value: Int64, type: String = "beam:metrics:sum_int64:v1") -> MonitoringInfo {
        var writer = ByteWriter()
        writer.writeVarInt64(value)
        return .with { $0.urn = urn; $0.type = type; $0.labels = labels; $0.payload = Data(writer.bytes) }
    }

    private func runningJob() -> Job {
        let job = registry.prepare(name: "wordcount", pipeline: pipeline(), options: .init())
        job.transition(to: .starting)
        job.transition(to: .running)
        job.updateRuntime { runtime in
            runtime.stages = [
                .init(id: "stage-1", kind: "stage", transforms: ["Create/Map", "Count"], environment: "env",
                      inputWatermark: BeamTime.maxTimestamp, outputWatermark: 0, bundlesInFlight: 2, pendingBytes: 10),
            ]
            runtime.workers = [.init(id: "w1", environment: "env", pid: 42, state: "busy", bundles: 3)]
        }
        let user = counter("beam:metric:user:sum_int64:v1", ["PTRANSFORM": "Count", "NAMESPACE": "ns", "NAME": "seen"], 5)
        job.updateMetrics(.with {
            $0.committed = [counter("beam:metric:element_count:v1", ["PCOLLECTION": "p2"], 3), user]
            $0.attempted = [counter("beam:metric:element_count:v1", ["PCOLLECTION": "p2"], 4),
                            counter("beam:metric:user:sum_int64:v1", ["PTRANSFORM": "Count", "NAMESPACE": "ns", "NAME": "seen"], 6)]
        })
        return job
    }

    @Test func listsJobsNewestFirstAndFiltersByState() throws {
        let first = runningJob()
        let second = registry.prepare(name: "other", pipeline: pipeline(), options: .init())
        let api = WebAPI(jobs: registry)
        let all = try #require(try object(api.listJobs(states: nil))["jobs"] as? [[String: Any]])
        #expect(all.map { $0["id"] as? String } == [second.id, first.id])
        #expect(all.last?["state"] as? String == "RUNNING")
        #expect(all.last?["environments"] as? [String] == ["PROCESS"])
        #expect(all.last?["workers"] as? Int == 1)
        let running = try #require(try object(api.listJobs(states: "running"))["jobs"] as? [[String: Any]])
        #expect(running.map { $0["id"] as? String } == [first.id])
        #expect(api.listJobs(states: "SIDEWAYS").status == 400)
    }

    @Test func theJobShowsStagesWorkersAndItsError() throws {
        let job = runningJob()
        let api = WebAPI(jobs: registry)
        let detail = try object(api.job(job.id))
        let stage = try #require((detail["stages"] as? [[String: Any]])?.first)
        #expect(stage["inputWatermark"] as? String == "+inf")
        #expect(stage["outputWatermark"] as? String == "1970-01-01T00:00:00.000Z")
        #expect(detail["bundlesInFlight"] as? Int == 2)
        #expect((detail["workers"] as? [[String: Any]])?.first?["pid"] as? Int == 42)
        #expect(detail["error"] is NSNull)
        job.fail("Traceback (most recent call last):\n  boom")
        #expect(try object(api.job(job.id))["error"] as? String == "Traceback (most recent call last):\n  boom")
        #expect(api.job("nope").status == 404)
    }

    @Test func theGraphCarriesCountsStagesAndComposites() throws {
        let job = runningJob()
        let graph = try object(WebAPI(jobs: registry).graph(job.id))
        #expect(graph["roots"] as? [String] == ["create", "count"])
        let transforms = try #require(graph["transforms"] as? [[String: Any]])
        let byID = Dictionary(uniqueKeysWithValues: transforms.map { ($0["id"] as? String ?? "", $0) })
        #expect(byID["create"]?["children"] as? [String] == ["impulse", "map"])
        #expect(byID["map"]?["parent"] as? String == "create")
        #expect(byID["map"]?["label"] as? String == "Map")
        #expect(byID["map"]?["stage"] as? String == "stage-1")
        #expect(byID["count"]?["elementsIn"] as? Int == 4, "live (attempted) counts")
        #expect(byID["create"]?["elementsOut"] as? Int == 4)
        #expect(byID["create"]?["stage"] is NSNull, "the Impulse leaf runs in no stage")
        #expect(byID["count"]?["outputWatermark"] as? String == "1970-01-01T00:00:00.000Z")
    }

    @Test func metricsSplitCommittedFromAttempted() throws {
        let job = runningJob()
        let metrics = try object(WebAPI(jobs: registry).metrics(job.id))
        let user = try #require((metrics["user"] as? [[String: Any]])?.first)
        #expect(user["name"] as? String == "seen")
        #expect(user["kind"] as? String == "counter")
        #expect(user["committed"] as? Int == 5)
        #expect(user["attempted"] as? Int == 6)
    }

    @Test func logsPageByIdAndImportance() throws {
        let job = runningJob()
        job.post("one")
        job.postHarnessLog("two", importance: .jobMessageWarning)
        job.post("three", importance: .jobMessageError)
        let api = WebAPI(jobs: registry)
        let all = try #require(try object(api.logs(job.id, after: nil, minimum: nil))["messages"] as? [[String: Any]])
        #expect(all.map { $0["text"] as? String } == ["one", "two", "three"])
        let firstID = try #require(all.first?["id"] as? Int)
        let later = try #require(try object(api.logs(job.id, after: String(firstID), minimum: nil))["messages"] as? [[String: Any]])
        #expect(later.count == 2)
        let warnings = try #require(try object(api.logs(job.id, after: nil, minimum: "warning"))["messages"] as? [[String: Any]])
        #expect(warnings.map { $0["importance"] as? String } == ["WARNING", "ERROR"])
        #expect(api.logs(job.id, after: "x", minimum: nil).status == 400)
    }

    @Test func cancelAsksTheJobAndRefusesAFinishedOne() throws {
        let job = runningJob()
        let api = WebAPI(jobs: registry)
        #expect(try object(api.cancel(job.id))["state"] as? String == "CANCELLING")
        job.transition(to: .cancelled)
        let refused = api.cancel(job.id)
        #expect(refused.status == 409)
        #expect(try object(refused)["error"] as? String != nil)
        #expect(api.cancel("missing").status == 404)
    }

    @Test func drainAsksTheJobAndRefusesAFinishedOne() throws {
        let job = runningJob()
        let api = WebAPI(jobs: registry)
        #expect(try object(api.drain(job.id))["state"] as? String == "DRAINING")
        job.finishRun()
        #expect(job.state == .drained)
        let refused = api.drain(job.id)
        #expect(refused.status == 409)
        #expect((try object(refused)["error"] as? String)?.contains("DRAINED") == true)
        #expect(api.drain("missing").status == 404)
    }

    @Test func jsonEscapesWhatWouldBreakAPage() {
        #expect(JSONValue.string("a\"b\\c\n</script>").rendered == #""a\"b\\c\n\u003c/script>""#)
        #expect(JSONValue.object([("k", .array([.int(1), .null, .bool(true)]))]).rendered == #"{"k":[1,null,true]}"#)
    }

    @Test func prometheusScrapeHasTheJobSeries() {
        let job = runningJob()
        let exporter = PrometheusExporter(jobs: registry)
        let text = exporter.scrape()
        #expect(text.contains(#"beam_jobs{state="RUNNING"} 1"#))
        #expect(text.contains(#"beam_pcollection_elements{job="\#(job.id)",transform="Create/Map",pcollection="p2"} 4"#))
        #expect(text.contains("beam_stage_watermark_lag_seconds"))
        #expect(text.contains("process_resident_memory_bytes"))
    }
}
