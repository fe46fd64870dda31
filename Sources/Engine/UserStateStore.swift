import Synchronization

/// User state of a job's stateful DoFns (bag state; value and combining
/// state are bags to the SDK), scoped by transform, state id, encoded key and
/// encoded window, as the State API addresses it.
public final class UserStateStore: Sendable {
    public struct Address: Hashable, Sendable {
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

    private let bags = Mutex<[Address: [UInt8]]>([:])

    public init() {}

    public func read(_ address: Address) -> [UInt8] {
        bags.withLock { $0[address] ?? [] }
    }

    public func append(_ bytes: [UInt8], to address: Address) {
        bags.withLock { $0[address, default: []].append(contentsOf: bytes) }
    }

    public func clear(_ address: Address) {
        _ = bags.withLock { $0.removeValue(forKey: address) }
    }
}
