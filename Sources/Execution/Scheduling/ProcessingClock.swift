import Foundation

/// The job's processing time in millis: the wall clock, unless the pipeline
/// has a TestStream, which then owns it (starting at 0, as Beam's test
/// clock does) and moves it only by its processing-time events.
///
/// Read by the scheduler for processing-time timers and triggers.
struct ProcessingClock {
    private(set) var isTestOwned: Bool
    private var testMillis: Int64 = 0

    init(testOwned: Bool) {
        isTestOwned = testOwned
    }

    var now: Int64 { isTestOwned ? testMillis : Self.wallMillis }

    mutating func advance(byMillis millis: Int64) {
        testMillis += max(0, millis)
    }

    /// Wall-clock millis since the epoch; SDF resume delays always use it.
    static var wallMillis: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
