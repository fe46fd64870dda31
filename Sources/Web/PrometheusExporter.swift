import BeamCore
import BeamModel
import CoreMetrics
import Foundation
import JobService
import Prometheus
import Synchronization

/// `/metrics`: one Prometheus registry holding what the server counts as it
/// goes (bundles, retries, gRPC requests: swift-metrics, bootstrapped here)
/// and what is read off the job registry at each scrape (jobs by state, job
/// durations, elements and bytes per PCollection, watermark lag per stage,
/// live workers, the server's RSS). Series of evicted jobs are unregistered.
public final class PrometheusExporter: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let jobs: JobRegistry
    private let perJob = Mutex<[String: Prometheus.Gauge]>([:])
    private let timedJobs = Mutex<Set<String>>([])
    private let jobDuration: DurationHistogram

    public init(jobs: JobRegistry) {
        self.jobs = jobs
        jobDuration = registry.makeDurationHistogram(
            name: "beam_job_duration_seconds",
            buckets: [.seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300), .seconds(1_800), .seconds(7_200)],
            help: "Wall time of finished jobs, from Prepare to their terminal state")
    }

    /// Makes swift-metrics report into this registry (once per process).
    public func bootstrapMetricsSystem() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5), .seconds(30),
        ]
        MetricsSystem.bootstrap(factory)
    }

    public func scrape() -> String {
        update()
        return registry.emitToString()
    }

    // MARK: Scrape-time series

    private func update() {
        let all = jobs.all
        var series: [String: (name: String, labels: [(String, String)], help: String, value: Double)] = [:]
        func set(_ name: String, _ labels: [(String, String)], _ help: String, _ value: Double) {
            let key = name + "|" + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
            series[key] = (name, labels, help, value)
        }
        let states: [JobState.Enum] = [.stopped, .starting, .running, .done, .failed, .cancelling, .cancelled, .draining, .drained, .updated]
        for state in states {
            set("beam_jobs", [("state", JobJSON.stateName(state))], "Jobs the server knows, by state",
                Double(all.filter { $0.state == state }.count))
        }
        var liveWorkers = 0
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for job in all {
            recordDurationOnce(job)
            let runtime = job.runtime
            if !job.isTerminal { liveWorkers += runtime.liveWorkers }
            let transforms = job.pipeline.components.transforms
            var producer: [String: String] = [:]
            for transform in transforms.values where transform.subtransforms.isEmpty {
                transform.outputs.values.forEach { producer[$0] = transform.uniqueName }
            }
            for (pcollection, counts) in MetricReadings(job.metrics).pcollections {
                let labels = [("job", job.id), ("transform", producer[pcollection] ?? ""), ("pcollection", pcollection)]
                if let elements = counts.elements {
                    set("beam_pcollection_elements", labels, "Elements a PCollection received so far", Double(elements))
                }
                if let bytes = counts.bytes {
                    set("beam_pcollection_bytes", labels, "Estimated encoded bytes a PCollection received so far", Double(bytes))
                }
            }
            guard !job.isTerminal else { continue }
            for stage in runtime.stages where stage.kind == "stage" {
                guard let watermark = stage.outputWatermark, watermark > BeamTime.minTimestamp,
                      watermark < BeamTime.globalWindowMaxTimestamp else { continue }
                set("beam_stage_watermark_lag_seconds", [("job", job.id), ("stage", stage.id)],
                    "How far a running stage's output watermark is behind wall time", Double(now - watermark) / 1000)
            }
        }
        let known = Set(all.map(\.id))
        timedJobs.withLock { $0.formIntersection(known) }
        set("beam_workers_live", [], "SDK workers serving running jobs", Double(liveWorkers))
        set("process_resident_memory_bytes", [], "Resident memory of the server process", Double(Self.residentBytes()))

        perJob.withLock { gauges in
            for (key, gauge) in gauges where series[key] == nil {
                registry.unregisterGauge(gauge)
                gauges.removeValue(forKey: key)
            }
            for (key, entry) in series {
                let gauge = gauges[key] ?? registry.makeGauge(name: entry.name, labels: entry.labels, help: entry.help)
                gauges[key] = gauge
                gauge.set(entry.value)
            }
        }
    }

    private func recordDurationOnce(_ job: Job) {
        guard !job.fromHistory, let ended = job.ended else { return }
        guard timedJobs.withLock({ $0.insert(job.id).inserted }) else { return }
        jobDuration.record(.milliseconds(Int64(ended.timeIntervalSince(job.created) * 1000)))
    }

    /// RSS from /proc/self/statm (Linux); 0 where it cannot be read.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
