import BeamCore
import BeamModel
import Engine
import Foundation
import Worker

/// User-state requests, as the SDK harnesses send them (beam_fn_api.proto):
/// - `bag_user_state`: get / append / clear of a bag (the Python SDK also keeps
///   value, combining and set state in bags);
/// - `multimap_user_state`: get / append / clear of one map key's values;
/// - `multimap_keys_user_state`: get the map keys / clear them all;
/// - `ordered_list_user_state`: get / clear of a sort-key range [start, end)
///   (no range: the whole list), append of `KV<varint, length-prefixed value>`
///   entries, returned in sort-key order.
/// Large values come in ~1 MiB pages cut between the chunks the SDK appended,
/// which hold whole elements (the runner has no coder for user state).
extension BundleStateServer {
    typealias Operation = StateRequest.OneOf_Request
    typealias Address = UserStateStore.Address
    typealias StateGetRequest = Org_Apache_Beam_Model_FnExecution_V1_StateGetRequest
    typealias StateGetResponse = Org_Apache_Beam_Model_FnExecution_V1_StateGetResponse

    func userStateResponse(_ key: StateKey, _ operation: Operation) throws -> StateResponse.OneOf_Response {
        switch key.type {
        case .bagUserState(let bag):
            let address = Address(transformID: bag.transformID, stateID: bag.userStateID,
                                  key: [UInt8](bag.key), window: [UInt8](bag.window))
            switch operation {
            case .get(let get): return .get(try Self.page(userState.bag(address), get))
            case .append(let append): userState.appendBag([UInt8](append.data), to: address)
            case .clear: userState.clearBag(address)
            }
        case .multimapUserState(let map):
            let address = Address(transformID: map.transformID, stateID: map.userStateID,
                                  key: [UInt8](map.key), window: [UInt8](map.window))
            let mapKey = [UInt8](map.mapKey)
            switch operation {
            case .get(let get): return .get(try Self.page(userState.mapValues(address, mapKey: mapKey), get))
            case .append(let append): userState.appendMap([UInt8](append.data), to: address, mapKey: mapKey)
            case .clear: userState.clearMap(address, mapKey: mapKey)
            }
        case .multimapKeysUserState(let keys):
            let address = Address(transformID: keys.transformID, stateID: keys.userStateID,
                                  key: [UInt8](keys.key), window: [UInt8](keys.window))
            switch operation {
            // Each key is one nested-encoded element, so keys are page units.
            case .get(let get): return .get(try Self.page(userState.mapKeys(address), get))
            case .append: throw ExecutionError("multimap_keys_user_state takes no appends (append to multimap_user_state)")
            case .clear: userState.clearMap(address, mapKey: nil)
            }
        case .orderedListUserState(let list):
            let address = Address(transformID: list.transformID, stateID: list.userStateID,
                                  key: [UInt8](list.key), window: [UInt8](list.window))
            // Without a range the request means the whole list; an empty or
            // inverted range selects nothing.
            let range = list.hasRange ? list.range.start..<max(list.range.start, list.range.end) : Int64.min..<Int64.max
            switch operation {
            case .get(let get): return .get(try Self.page(userState.orderedList(address, in: range), get))
            case .append(let append):
                userState.appendOrdered(try Self.orderedEntries([UInt8](append.data)), to: address)
            case .clear: userState.clearOrdered(address, in: range)
            }
        default:
            throw ExecutionError("Not a user state key")
        }
        if case .append = operation { return .append(.init()) }
        return .clear(.init())
    }

    private static func page(_ chunks: [[UInt8]], _ get: StateGetRequest) throws -> StateGetResponse {
        guard let page = StatePaging.page(chunks, continuationToken: get.continuationToken) else {
            throw ExecutionError("Unknown user-state continuation token")
        }
        return page
    }

    /// Splits appended ordered-list data into its entries, each kept whole
    /// (sort key included) because gets return entries in that encoding.
    static func orderedEntries(_ data: [UInt8]) throws -> [(sortKey: Int64, entry: [UInt8])] {
        var reader = ByteReader(data)
        var entries: [(sortKey: Int64, entry: [UInt8])] = []
        while !reader.isAtEnd {
            let start = reader.position
            let sortKey = try reader.readVarInt64()
            try reader.skip(try reader.readLength())
            entries.append((sortKey, [UInt8](reader.bytesRead(since: start))))
        }
        return entries
    }
}
