import Synchronization

extension UserStateStore {
    /// One bundle's view of user state: reads see the committed store plus
    /// this bundle's own writes, which stay in an overlay until `commit()`.
    /// The scheduler commits after the bundle succeeded and drops (or
    /// `discard()`s) it after a failure, so a retry starts from clean state.
    /// The bundle's State API handler is its only writer.
    ///
    /// Values are the State API's bytes: chunks of whole encoded elements, as
    /// the SDK appended them (reads return them in order, for paging).
    public final class Transaction: Sendable {
        public let store: UserStateStore
        private let autoCommit: Bool
        private let overlay = Mutex<[CellID: UserStateDelta]>([:])

        /// `autoCommit` writes through to the store at once (no retry safety),
        /// for callers that have no bundle boundary to commit at.
        public init(_ store: UserStateStore, autoCommit: Bool = false) {
            self.store = store
            self.autoCommit = autoCommit
        }

        /// Whether this transaction holds uncommitted writes.
        public var hasWrites: Bool { overlay.withLock { !$0.isEmpty } }

        /// Makes this bundle's writes visible to every later transaction.
        public func commit() {
            let deltas = overlay.withLock { overlay in
                defer { overlay = [:] }
                return overlay
            }
            if !deltas.isEmpty { store.apply(deltas) }
        }

        /// Forgets this bundle's writes.
        public func discard() {
            overlay.withLock { $0 = [:] }
        }

        // MARK: Bag (bag, value, combining and set state)

        public func bag(_ address: Address) -> [[UInt8]] {
            view(.init(address: address, kind: .bag)).chunks([])
        }

        public func appendBag(_ bytes: [UInt8], to address: Address) {
            guard !bytes.isEmpty else { return }  // appends nothing; would only make an empty cell
            write(.init(address: address, kind: .bag)) { $0.added.append([bytes], to: []) }
        }

        public func clearBag(_ address: Address) {
            write(.init(address: address, kind: .bag)) { $0.clear(.all) }
        }

        // MARK: Multimap (map and multimap state)

        /// The encoded map keys, in byte order.
        public func mapKeys(_ address: Address) -> [[UInt8]] {
            view(.init(address: address, kind: .multimap)).subKeys()
        }

        public func mapValues(_ address: Address, mapKey: [UInt8]) -> [[UInt8]] {
            view(.init(address: address, kind: .multimap)).chunks(mapKey)
        }

        /// Adds values under `mapKey`; the key exists from now on even if
        /// `bytes` is empty (a value may encode to no bytes).
        public func appendMap(_ bytes: [UInt8], to address: Address, mapKey: [UInt8]) {
            write(.init(address: address, kind: .multimap)) { $0.added.append(bytes.isEmpty ? [] : [bytes], to: mapKey) }
        }

        /// Removes one map key, or every key when `mapKey` is nil.
        public func clearMap(_ address: Address, mapKey: [UInt8]?) {
            write(.init(address: address, kind: .multimap)) { $0.clear(mapKey.map(SubKeyRange.only) ?? .all) }
        }

        // MARK: Ordered list

        /// The entries with sort keys in `range`, by sort key, then in the
        /// order they were appended.
        public func orderedList(_ address: Address, in range: Range<Int64>) -> [[UInt8]] {
            view(.init(address: address, kind: .orderedList)).chunks(in: Self.subKeys(range))
        }

        /// Appends encoded entries, each under its sort key.
        public func appendOrdered(_ entries: [(sortKey: Int64, entry: [UInt8])], to address: Address) {
            guard !entries.isEmpty else { return }
            write(.init(address: address, kind: .orderedList)) { delta in
                for (sortKey, entry) in entries { delta.added.append([entry], to: Self.subKey(sortKey)) }
            }
        }

        public func clearOrdered(_ address: Address, in range: Range<Int64>) {
            write(.init(address: address, kind: .orderedList)) { $0.clear(Self.subKeys(range)) }
        }

        // MARK: Overlay

        private func view(_ id: CellID) -> UserStateCell {
            let delta = overlay.withLock { $0[id] }
            return store.cell(id).applying(delta)
        }

        private func write(_ id: CellID, _ change: (inout UserStateDelta) -> Void) {
            overlay.withLock { change(&$0[id, default: UserStateDelta()]) }
            if autoCommit { commit() }
        }

        /// Big-endian with the sign bit flipped: byte order is numeric order.
        static func subKey(_ sortKey: Int64) -> [UInt8] {
            let bits = UInt64(bitPattern: sortKey) ^ (1 << 63)
            return (0..<8).map { UInt8(truncatingIfNeeded: bits >> (56 - 8 * $0)) }
        }

        static func subKeys(_ range: Range<Int64>) -> SubKeyRange {
            SubKeyRange(lower: subKey(range.lowerBound), upper: subKey(range.upperBound))
        }
    }
}
