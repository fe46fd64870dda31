import BeamCore

/// A partial plan's streamed main input (`PlanBoundary.feed`): one read at
/// a time, started only while the stages have less than `feedAhead` bytes
/// queued, so memory holds a window of the partition, not all of it
/// (GroupByKeys still keep what they group until the input ends).
extension Scheduler {
    static let feedAhead = 8 << 20

    var feedOpen: Bool { boundary != nil && !feedEnded }

    func readFeed(into group: inout ThrowingTaskGroup<Completion, any Error>) {
        guard let feed = boundary?.feed, !feedEnded, !feedReading else { return }
        guard nodes.reduce(0, { $0 + ($1.stageRuntime?.pendingBytes ?? 0) }) < Self.feedAhead else { return }
        feedReading = true
        group.addTask { .fed(try await feed.next()) }
    }

    func fed(_ chunks: [(String, [UInt8])]?) throws {
        feedReading = false
        guard let chunks else {
            feedEnded = true
            return
        }
        for (pcollection, chunk) in chunks {
            try deliver(chunk, to: pcollection, hold: BeamTime.minTimestamp,
                        toSideInputs: boundary?.sideInputs[pcollection] == nil)
        }
    }
}
