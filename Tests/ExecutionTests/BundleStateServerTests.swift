import BeamCore
import BeamModel
import Engine
import Foundation
import Testing
@testable import Execution

@Suite struct BundleStateServerTests {
    let store = UserStateStore()

    func makeServer(_ transaction: UserStateStore.Transaction) -> BundleStateServer {
        BundleStateServer(sideInputs: [:], userState: transaction)
    }

    static func request(_ key: StateKey, _ operation: StateRequest.OneOf_Request) -> StateRequest {
        .with {
            $0.id = "r1"
            $0.instructionID = "b1"
            $0.stateKey = key
            $0.request = operation
        }
    }

    static func get(_ token: Data = Data()) -> StateRequest.OneOf_Request { .get(.with { $0.continuationToken = token }) }
    static func append(_ bytes: [UInt8]) -> StateRequest.OneOf_Request { .append(.with { $0.data = Data(bytes) }) }
    static let clear = StateRequest.OneOf_Request.clear(.init())

    static let bagKey = StateKey.with {
        $0.bagUserState = .with { $0.transformID = "t"; $0.userStateID = "s"; $0.key = Data([1]); $0.window = Data([0]) }
    }

    static func mapKey(_ mapKey: [UInt8]) -> StateKey {
        .with {
            $0.multimapUserState = .with {
                $0.transformID = "t"; $0.userStateID = "m"; $0.key = Data([1]); $0.window = Data([0]); $0.mapKey = Data(mapKey)
            }
        }
    }

    static let mapKeysKey = StateKey.with {
        $0.multimapKeysUserState = .with { $0.transformID = "t"; $0.userStateID = "m"; $0.key = Data([1]); $0.window = Data([0]) }
    }

    static func listKey(_ range: Range<Int64>?) -> StateKey {
        listKey(range.map { ($0.lowerBound, $0.upperBound) })
    }

    static func listKey(_ range: (start: Int64, end: Int64)?) -> StateKey {
        .with {
            $0.orderedListUserState = .with {
                $0.transformID = "t"; $0.userStateID = "o"; $0.key = Data([1]); $0.window = Data([0])
                if let range { $0.range = .with { $0.start = range.start; $0.end = range.end } }
            }
        }
    }

    /// Ordered-list entries as the Python SDK encodes them: varint sort key, length-prefixed value.
    static func entries(_ entries: [(Int64, [UInt8])]) -> [UInt8] {
        var writer = ByteWriter()
        for (sortKey, value) in entries {
            writer.writeVarInt64(sortKey)
            writer.writeLengthPrefixed(value)
        }
        return writer.bytes
    }

    func handle(_ server: BundleStateServer, _ key: StateKey, _ operation: StateRequest.OneOf_Request) async -> StateResponse {
        let response = await server.handle(Self.request(key, operation))
        #expect(response.id == "r1")
        return response
    }

    @Test func bagGetAppendClear() async {
        let server = makeServer(store.transaction())
        #expect(await handle(server, Self.bagKey, Self.get()).get.data.isEmpty)
        #expect(await handle(server, Self.bagKey, Self.append([1, 2])).response == .append(.init()))
        _ = await handle(server, Self.bagKey, Self.append([3]))
        let got = await handle(server, Self.bagKey, Self.get())
        #expect(got.error.isEmpty)
        #expect(got.get.data == Data([1, 2, 3]) && got.get.continuationToken.isEmpty)
        #expect(await handle(server, Self.bagKey, Self.clear).response == .clear(.init()))
        #expect(await handle(server, Self.bagKey, Self.get()).get.data.isEmpty)
    }

    @Test func writesReachTheStoreOnlyOnCommit() async {
        let transaction = store.transaction()
        let server = makeServer(transaction)
        _ = await handle(server, Self.bagKey, Self.append([7]))
        let other = makeServer(store.transaction())
        #expect(await handle(other, Self.bagKey, Self.get()).get.data.isEmpty)
        transaction.commit()
        #expect(await handle(other, Self.bagKey, Self.get()).get.data == Data([7]))
    }

    @Test func largeBagsComeInPagesOfWholeAppends() async {
        let server = makeServer(store.transaction())
        var appended: [UInt8] = []
        for index in 0..<10 {
            let chunk = [UInt8](repeating: UInt8(index), count: 300_000)
            appended += chunk
            _ = await handle(server, Self.bagKey, Self.append(chunk))
        }
        var joined: [UInt8] = []
        var token = Data()
        var pages = 0
        repeat {
            let response = await handle(server, Self.bagKey, Self.get(token))
            #expect(response.error.isEmpty)
            #expect(response.get.data.count % 300_000 == 0 && response.get.data.count <= 1 << 20)
            joined += response.get.data
            token = response.get.continuationToken
            pages += 1
        } while !token.isEmpty
        #expect(pages == 4)
        #expect(joined == appended)
        #expect(await handle(server, Self.bagKey, Self.get(Data("x".utf8))).error.contains("continuation token"))
    }

    @Test func multimapValuesKeysAndClears() async {
        let server = makeServer(store.transaction())
        _ = await handle(server, Self.mapKey([2]), Self.append([20]))
        _ = await handle(server, Self.mapKey([1]), Self.append([10]))
        _ = await handle(server, Self.mapKey([1]), Self.append([11]))
        #expect(await handle(server, Self.mapKey([1]), Self.get()).get.data == Data([10, 11]))
        #expect(await handle(server, Self.mapKeysKey, Self.get()).get.data == Data([1, 2]))

        #expect(await handle(server, Self.mapKey([1]), Self.clear).response == .clear(.init()))
        #expect(await handle(server, Self.mapKey([1]), Self.get()).get.data.isEmpty)
        #expect(await handle(server, Self.mapKeysKey, Self.get()).get.data == Data([2]))

        #expect(await handle(server, Self.mapKeysKey, Self.append([3])).error.contains("no appends"))
        #expect(await handle(server, Self.mapKeysKey, Self.clear).response == .clear(.init()))
        #expect(await handle(server, Self.mapKeysKey, Self.get()).get.data.isEmpty)
        #expect(await handle(server, Self.mapKey([2]), Self.get()).get.data.isEmpty)
    }

    @Test func orderedListRangesAndEntryEncoding() async {
        let server = makeServer(store.transaction())
        let append = await handle(server, Self.listKey(Range<Int64>?.none), Self.append(Self.entries([(5, [50]), (-2, [20, 21]), (5, [51])])))
        #expect(append.response == .append(.init()))
        _ = await handle(server, Self.listKey(Range<Int64>?.none), Self.append(Self.entries([(0, [])])))

        let all = await handle(server, Self.listKey(Int64.min..<Int64.max), Self.get())
        #expect(all.get.data == Data(Self.entries([(-2, [20, 21]), (0, []), (5, [50]), (5, [51])])))
        // Without a range a get means the whole list.
        #expect(await handle(server, Self.listKey(Range<Int64>?.none), Self.get()).get.data == all.get.data)
        #expect(await handle(server, Self.listKey(-2..<5), Self.get()).get.data == Data(Self.entries([(-2, [20, 21]), (0, [])])))
        // An inverted range selects nothing (and must not trap).
        #expect(await handle(server, Self.listKey((start: 5, end: 0)), Self.get()).get.data.isEmpty)

        _ = await handle(server, Self.listKey(0..<6), Self.clear)
        #expect(await handle(server, Self.listKey(Range<Int64>?.none), Self.get()).get.data == Data(Self.entries([(-2, [20, 21])])))
        _ = await handle(server, Self.listKey(Range<Int64>?.none), Self.clear)
        #expect(await handle(server, Self.listKey(Range<Int64>?.none), Self.get()).get.data.isEmpty)
    }

    @Test func malformedOrderedListAppendsFailAndWriteNothing() async {
        let server = makeServer(store.transaction())
        let truncated = Array(Self.entries([(1, [1]), (2, [2, 2])]).dropLast())
        #expect(!(await handle(server, Self.listKey(Range<Int64>?.none), Self.append(truncated))).error.isEmpty)
        #expect(await handle(server, Self.listKey(Range<Int64>?.none), Self.get()).get.data.isEmpty)
    }

    @Test func unsupportedKeysGetAnErrorNamingThem() async {
        let key = StateKey.with { $0.multimapEntriesUserState = .with { $0.transformID = "t" } }
        let response = await handle(makeServer(store.transaction()), key, Self.get())
        #expect(response.error.contains("multimapEntriesUserState"))
        #expect(response.response == nil)
    }
}
