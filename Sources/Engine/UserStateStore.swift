import BeamCore
import Synchronization

/// The committed user state of a job's stateful DoFns: bag (and the value,
/// combining and set state the SDKs build on bags), multimap and ordered-list
/// cells, each addressed as the State API does (transform, state id, encoded
/// key, encoded window).
///
/// Bundles read and write through a `Transaction`, whose writes reach the
/// store only on `commit()`, so a retried bundle does not repeat its appends.
/// The scheduler calls `expire` as the watermark passes windows, so state
/// lives no longer than its window (plus allowed lateness).
public final class UserStateStore: Sendable {
    public struct Address: Hashable, Sendable, Codable {
        public let transformID: String
        public let stateID: String
        public let key: [UInt8]
        public let window: [UInt8]

        public init(transformID: String, stateID: String, key: [UInt8], window: [UInt8]) {
            self.transformID = transformID
            self.stateID = stateID
            self.key = key
            self.window = window
        }
    }

    /// How a cell's bytes are organised; part of its identity, so a bag and a
    /// multimap at the same address never mix.
    public enum Kind: Hashable, Sendable, Codable {
        case bag, multimap, orderedList
    }

    struct CellID: Hashable, Sendable, Codable {
        var address: Address
        var kind: Kind
    }

    fileprivate struct Table: Codable {
        /// Cells by transform id, then by encoded window: expiry visits one
        /// transform's windows (few) rather than its cells (one per key).
        var cells: [String: [[UInt8]: [CellID: UserStateCell]]] = [:]
        var cellCount = 0
        var byteCount = 0

        func cell(_ id: CellID) -> UserStateCell? {
            cells[id.address.transformID]?[id.address.window]?[id]
        }

        mutating func update(_ id: CellID, _ change: (inout UserStateCell) -> Void) {
            let (transform, window) = (id.address.transformID, id.address.window)
            var cell = cell(id) ?? UserStateCell()
            let (wasEmpty, oldBytes) = (cell.isEmpty, cell.byteCount)
            change(&cell)
            byteCount += cell.byteCount - oldBytes
            cellCount += (cell.isEmpty ? 0 : 1) - (wasEmpty ? 0 : 1)
            cells[transform, default: [:]][window, default: [:]][id] = cell.isEmpty ? nil : cell
            if cells[transform]?[window]?.isEmpty == true { cells[transform]?[window] = nil }
            if cells[transform]?.isEmpty == true { cells[transform] = nil }
        }

        /// Removes a bucket of cells, keeping the totals.
        mutating func forget(_ bucket: [CellID: UserStateCell]) {
            cellCount -= bucket.count
            byteCount -= bucket.values.reduce(0) { $0 + $1.byteCount }
        }
    }

    private let table = Mutex(Table())

    public init() {}

    public var isEmpty: Bool { table.withLock { $0.cellCount == 0 } }
    /// Non-empty cells (one per state id, key and window in use).
    public var cellCount: Int { table.withLock { $0.cellCount } }
    /// Bytes of state values held (not counting keys and windows).
    public var byteCount: Int { table.withLock { $0.byteCount } }

    /// A write buffer for one bundle over this store.
    public func transaction() -> Transaction { Transaction(self) }

    /// Drops every cell of `transformID` whose window has expired: its max
    /// timestamp plus `allowedLateness` is before `watermark`. Windows whose max
    /// timestamp `windowMaxTimestamp` cannot tell (nil) are kept until the
    /// watermark reaches +inf. The closure runs under the store's lock and must
    /// not call the store. Returns the number of cells removed.
    @discardableResult
    public func expire(transformID: String, windowsEndingBefore watermark: Int64, allowedLateness: Int64 = 0,
                       windowMaxTimestamp: ([UInt8]) -> Int64?) -> Int {
        table.withLock { table in
            guard let windows = table.cells[transformID] else { return 0 }
            var removed = 0
            for (window, bucket) in windows {
                let isExpired: Bool
                if let maxTimestamp = windowMaxTimestamp(window) {
                    let (end, overflow) = maxTimestamp.addingReportingOverflow(max(allowedLateness, 0))
                    isExpired = !overflow && end < watermark
                } else {
                    isExpired = watermark >= BeamTime.maxTimestamp
                }
                guard isExpired else { continue }
                table.cells[transformID]?[window] = nil
                table.forget(bucket)
                removed += bucket.count
            }
            if table.cells[transformID]?.isEmpty == true { table.cells[transformID] = nil }
            return removed
        }
    }

    /// Drops all state of `transformID` (e.g. when its stage is done for good).
    @discardableResult
    public func removeAll(transformID: String) -> Int {
        table.withLock { table in
            guard let windows = table.cells.removeValue(forKey: transformID) else { return 0 }
            windows.values.forEach { table.forget($0) }
            return windows.values.reduce(0) { $0 + $1.count }
        }
    }

    // MARK: Checkpoints

    /// Every committed cell, for a streaming job's checkpoint (taken while no bundle runs).
    public struct Checkpoint: Codable, Sendable {
        fileprivate let table: Table
    }

    public func checkpoint() -> Checkpoint {
        table.withLock { Checkpoint(table: $0) }
    }

    /// Replaces the store's cells with a checkpoint's.
    public func restore(_ checkpoint: Checkpoint) {
        table.withLock { $0 = checkpoint.table }
    }

    // MARK: Used by Transaction

    func cell(_ id: CellID) -> UserStateCell {
        table.withLock { $0.cell(id) ?? UserStateCell() }
    }

    func apply(_ deltas: [CellID: UserStateDelta]) {
        table.withLock { table in
            for (id, delta) in deltas { table.update(id) { $0.apply(delta) } }
        }
    }
}
