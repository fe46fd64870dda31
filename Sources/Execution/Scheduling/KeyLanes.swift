import BeamCore

/// Partitions a keyed stage's work by key: every element and timer of one
/// key falls in the same lane, and the scheduler runs at most one bundle per
/// lane at a time, so one key's state and timers are never touched by two
/// bundles at once (as runners do with key groups).
///
/// Keys are compared by their encoded bytes with one length prefix removed,
/// so the element's key coder and the timer's (which the planner may have
/// length-prefixed) agree.
struct KeyLanes {
    let count: Int
    /// kv(key, value) in a windowed_value: the stage's input coder.
    private let inputCoder: CoderSpec
    private let keyCoder: CoderSpec

    /// Nil when the input is not a KV whose key the runner can find.
    init?(inputCoder: CoderSpec, count: Int) {
        guard case let .windowedValue(element, window) = inputCoder, window.isKnown,
              case let .kv(key, _) = element, key.isKnown else { return nil }
        self.count = max(1, count)
        self.inputCoder = inputCoder
        self.keyCoder = key
    }

    /// The lane of one encoded windowed KV element.
    func lane(ofElement element: ArraySlice<UInt8>) throws -> Int {
        var reader = ByteReader(element)
        try inputCoder.skipWindowedValueHeader(&reader)
        return try lane(keyAt: &reader, keyCoder)
    }

    /// The lane of one encoded timer (its user key comes first).
    func lane(ofTimer timer: [UInt8], coder: CoderSpec) throws -> Int {
        guard case let .timer(key, _) = coder else { return 0 }
        var reader = ByteReader(timer)
        return try lane(keyAt: &reader, key)
    }

    private func lane(keyAt reader: inout ByteReader, _ coder: CoderSpec) throws -> Int {
        var key = try coder.readEncoded(&reader)
        switch coder {
        case .bytes, .stringUTF8, .lengthPrefix:
            var inner = ByteReader(key)
            _ = try inner.readLength()
            key = inner.readRemaining()
        default:
            break
        }
        return Int(Self.fnv1a(key) % UInt64(count))
    }

    /// A hash that is the same in every process (Swift's Hasher is seeded per run).
    private static func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
