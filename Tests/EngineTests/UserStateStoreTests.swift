import BeamCore
import Testing
@testable import Engine

@Suite struct UserStateStoreTests {
    typealias Address = UserStateStore.Address

    static func address(_ key: String, window: UInt8 = 0, transform: String = "t", state: String = "s") -> Address {
        Address(transformID: transform, stateID: state, key: Array(key.utf8), window: [window])
    }

    @Test func bagAppendsReadBackInOrderAndClear() {
        let store = UserStateStore()
        let txn = store.transaction()
        let a = Self.address("a")
        txn.appendBag([1], to: a)
        txn.appendBag([2, 3], to: a)
        #expect(txn.bag(a) == [[1], [2, 3]])
        #expect(txn.bag(Self.address("b")).isEmpty)
        txn.clearBag(a)
        txn.appendBag([4], to: a)
        #expect(txn.bag(a) == [[4]])
        txn.commit()
        #expect(store.transaction().bag(a) == [[4]])
        #expect(store.cellCount == 1 && store.byteCount == 1)
    }

    @Test func writesStayInTheTransactionUntilCommit() {
        let store = UserStateStore()
        let a = Self.address("a")
        let first = store.transaction()
        first.appendBag([1], to: a)
        first.commit()

        let failed = store.transaction()
        failed.clearBag(a)
        failed.appendBag([9], to: a)
        #expect(failed.bag(a) == [[9]])
        #expect(store.transaction().bag(a) == [[1]])  // others still see committed state
        failed.discard()
        #expect(failed.bag(a) == [[1]])

        let retry = store.transaction()
        retry.appendBag([2], to: a)
        #expect(retry.hasWrites)
        retry.commit()
        #expect(!retry.hasWrites)
        #expect(store.transaction().bag(a) == [[1], [2]])
    }

    @Test func autoCommitWritesThrough() {
        let store = UserStateStore()
        let txn = UserStateStore.Transaction(store, autoCommit: true)
        txn.appendBag([7], to: Self.address("a"))
        #expect(store.transaction().bag(Self.address("a")) == [[7]])
        #expect(!txn.hasWrites)
    }

    @Test func multimapKeysValuesAndClears() {
        let store = UserStateStore()
        let a = Self.address("a")
        let base = store.transaction()
        base.appendMap([10], to: a, mapKey: [2])
        base.appendMap([11], to: a, mapKey: [1])
        base.appendMap([], to: a, mapKey: [3])  // a key whose values encode to nothing still exists
        base.commit()

        let txn = store.transaction()
        #expect(txn.mapKeys(a) == [[1], [2], [3]])
        txn.appendMap([12], to: a, mapKey: [1])
        #expect(txn.mapValues(a, mapKey: [1]) == [[11], [12]])
        txn.clearMap(a, mapKey: [2])
        #expect(txn.mapKeys(a) == [[1], [3]])
        #expect(txn.mapValues(a, mapKey: [2]).isEmpty)
        // Clearing one key must not touch keys it is a prefix of.
        txn.appendMap([13], to: a, mapKey: [1, 0])
        txn.clearMap(a, mapKey: [1])
        #expect(txn.mapKeys(a) == [[1, 0], [3]])
        txn.commit()
        #expect(store.transaction().mapKeys(a) == [[1, 0], [3]])

        let clearAll = store.transaction()
        clearAll.clearMap(a, mapKey: nil)
        clearAll.appendMap([14], to: a, mapKey: [5])
        #expect(clearAll.mapKeys(a) == [[5]])
        clearAll.commit()
        #expect(store.transaction().mapKeys(a) == [[5]])
        #expect(store.cellCount == 1)
    }

    @Test func bagAndMultimapAtOneAddressDoNotMix() {
        let store = UserStateStore()
        let txn = store.transaction()
        let a = Self.address("a")
        txn.appendBag([1], to: a)
        txn.appendMap([2], to: a, mapKey: [])
        #expect(txn.bag(a) == [[1]])
        #expect(txn.mapValues(a, mapKey: []) == [[2]])
    }

    @Test func orderedListReadsByRangeInSortKeyOrder() {
        let store = UserStateStore()
        let a = Self.address("a")
        let base = store.transaction()
        base.appendOrdered([(5, [50]), (-3, [30]), (Int64.min, [1]), (5, [51])], to: a)
        base.commit()

        let txn = store.transaction()
        txn.appendOrdered([(0, [40]), (5, [52])], to: a)
        #expect(txn.orderedList(a, in: Int64.min..<Int64.max) == [[1], [30], [40], [50], [51], [52]])
        #expect(txn.orderedList(a, in: -3..<5) == [[30], [40]])
        #expect(txn.orderedList(a, in: 6..<100).isEmpty)
        txn.clearOrdered(a, in: -3..<1)
        #expect(txn.orderedList(a, in: Int64.min..<Int64.max) == [[1], [50], [51], [52]])
        txn.appendOrdered([(0, [41])], to: a)  // appended after the clear: survives it
        txn.commit()
        #expect(store.transaction().orderedList(a, in: Int64.min..<Int64.max) == [[1], [41], [50], [51], [52]])
    }

    @Test func expiryDropsStateOfWindowsPastTheWatermarkPlusLateness() {
        let store = UserStateStore()
        let txn = store.transaction()
        // Window byte n ends at n*10; 255 is a window we cannot decode.
        for window: UInt8 in [1, 2, 255] {
            txn.appendBag([window], to: Self.address("k", window: window))
            txn.appendMap([window], to: Self.address("k", window: window, state: "m"), mapKey: [1])
        }
        txn.appendBag([9], to: Self.address("k", window: 1, transform: "other"))
        txn.commit()
        #expect(store.cellCount == 7)
        let maxTimestamp: ([UInt8]) -> Int64? = { $0[0] == 255 ? nil : Int64($0[0]) * 10 }

        #expect(store.expire(transformID: "t", windowsEndingBefore: 15, allowedLateness: 5, windowMaxTimestamp: maxTimestamp) == 0)
        #expect(store.expire(transformID: "t", windowsEndingBefore: 16, allowedLateness: 5, windowMaxTimestamp: maxTimestamp) == 2)
        #expect(store.transaction().bag(Self.address("k", window: 1)).isEmpty)
        #expect(store.transaction().bag(Self.address("k", window: 2)) == [[2]])
        #expect(store.transaction().bag(Self.address("k", window: 1, transform: "other")) == [[9]])
        #expect(store.expire(transformID: "t", windowsEndingBefore: BeamTime.maxTimestamp - 1, windowMaxTimestamp: maxTimestamp) == 2)
        #expect(store.expire(transformID: "t", windowsEndingBefore: BeamTime.maxTimestamp, windowMaxTimestamp: maxTimestamp) == 2)
        #expect(store.cellCount == 1)
        #expect(store.removeAll(transformID: "other") == 1)
        #expect(store.isEmpty && store.byteCount == 0)
    }

    @Test func globalWindowStateExpiresAtTheEndOfTime() {
        let store = UserStateStore()
        let txn = store.transaction()
        txn.appendBag([1], to: Self.address("k"))
        txn.commit()
        let global: ([UInt8]) -> Int64? = { _ in BeamTime.globalWindowMaxTimestamp }
        #expect(store.expire(transformID: "t", windowsEndingBefore: BeamTime.globalWindowMaxTimestamp,
                             windowMaxTimestamp: global) == 0)
        #expect(store.expire(transformID: "t", windowsEndingBefore: BeamTime.maxTimestamp,
                             allowedLateness: Int64.max, windowMaxTimestamp: global) == 0)  // lateness past +inf keeps it
        #expect(store.expire(transformID: "t", windowsEndingBefore: BeamTime.maxTimestamp, windowMaxTimestamp: global) == 1)
    }

    @Test func clearingEverythingLeavesNoCells() {
        let store = UserStateStore()
        let txn = store.transaction()
        let a = Self.address("a")
        txn.appendBag([1], to: a)
        txn.appendOrdered([(1, [1])], to: a)
        txn.commit()
        txn.clearBag(a)
        txn.clearOrdered(a, in: Int64.min..<Int64.max)
        txn.commit()
        #expect(store.isEmpty && store.byteCount == 0)
    }
}
