import Synchronization

/// Holds the encoded elements of every runner-side PCollection of one job:
/// chunks of concatenated nested `windowed_value` encodings, appended as
/// bundles commit and released once the last consumer has read them.
public final class PCollectionStore: Sendable {
    private struct Entry {
        var chunks: [[UInt8]] = []
        var remainingReaders: Int
    }

    private let entries: Mutex<[String: Entry]>

    /// `readers`: how many steps will read each PCollection (main or side input).
    public init(readers: [String: Int]) {
        entries = Mutex(readers.mapValues { Entry(remainingReaders: $0) })
    }

    public func append(_ chunk: [UInt8], to pcollection: String) {
        guard !chunk.isEmpty else { return }
        entries.withLock { $0[pcollection, default: Entry(remainingReaders: 0)].chunks.append(chunk) }
    }

    /// The chunks of `pcollection`, without releasing them.
    public func chunks(of pcollection: String) -> [[UInt8]] {
        entries.withLock { $0[pcollection]?.chunks ?? [] }
    }

    /// Marks one read of `pcollection` done; its bytes are dropped after the last.
    public func finishedReading(_ pcollection: String) {
        entries.withLock { entries in
            guard var entry = entries[pcollection] else { return }
            entry.remainingReaders -= 1
            if entry.remainingReaders <= 0 { entry.chunks = [] }
            entries[pcollection] = entry
        }
    }

    /// Whether every reader of `pcollection` is done with it.
    public func isReleased(_ pcollection: String) -> Bool {
        entries.withLock { ($0[pcollection]?.remainingReaders ?? 0) <= 0 }
    }

    /// Total bytes held, for progress and memory messages.
    public var byteCount: Int {
        entries.withLock { $0.values.reduce(0) { $0 + $1.chunks.reduce(0) { $0 + $1.count } } }
    }
}
