import Metrics

/// Server-wide figures execution reports through swift-metrics (the server
/// bootstraps the Prometheus backend; without one they cost nothing).
/// Created on first use, which comes after the bootstrap.
enum RunnerMetrics {
    static let bundlesSucceeded = Counter(label: "beam_bundles_total", dimensions: [("outcome", "succeeded")])
    static let bundlesFailed = Counter(label: "beam_bundles_total", dimensions: [("outcome", "failed")])
    static let bundlesRetried = Counter(label: "beam_bundle_retries_total")
    static let bundleDuration = Metrics.Timer(label: "beam_bundle_duration_seconds", preferredDisplayUnit: .seconds)
}
