import Foundation

/// The job's processing time in millis: the wall clock, unless the pipeline
/// has a TestStream, which then owns it and moves it only by its
/// processing-time events. The test clock starts at the wall time the job
/// starts (not at 0 as Python's DirectRunner), so a timer user code sets at
/// "now + d" from the wall clock fires once the TestStream has advanced by d.
///
/// Read by the scheduler for processing-time timers and triggers.
struct ProcessingClock: Codable {
    private(set) var isTestOwned: Bool
    private var testMillis: Int64

    init(testOwned: Bool) {
        isTestOwned = testOwned
        testMillis = Self.wallMillis
    }

    var now: Int64 { isTestOwned ? testMillis : Self.wallMillis }

    mutating func advance(byMillis millis: Int64) {
        testMillis += max(0, millis)
    }

    /// Wall-clock millis since the epoch; SDF resume delays always use it.
    static var wallMillis: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
