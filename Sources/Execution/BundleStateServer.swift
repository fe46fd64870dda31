import BeamCore
import BeamModel
import Engine
import Foundation
import Planner
import Worker

/// Answers one bundle's State API requests: side inputs from the engine's
/// materialized PCollections (iterable and multimap access), and user state
/// (bag, multimap, ordered list; see `BundleStateServer+UserState.swift`)
/// through the bundle's `UserStateStore.Transaction`, which the scheduler
/// commits when the bundle succeeds. Unsupported keys get an error response
/// naming them, which fails the bundle with that text.
struct BundleStateServer: BundleStateHandler {
    /// (transform id, side input local name) -> materialized side input.
    let sideInputs: [SideInputKey: SideInput]
    let userState: UserStateStore.Transaction

    init(sideInputs: [SideInputKey: SideInput], userState: UserStateStore.Transaction) {
        self.sideInputs = sideInputs
        self.userState = userState
    }

    struct SideInputKey: Hashable, Sendable {
        let transformID: String
        let localName: String
    }

    /// A side input's values with the coder of its elements (for paging).
    struct SideInput: Sendable {
        let data: SideInputData
        let elementCoder: CoderSpec

        var keyAndValueCoders: (CoderSpec, CoderSpec) {
            if case .kv(let key, let value) = elementCoder { return (key, value) }
            return (elementCoder, elementCoder)
        }
    }

    func handle(_ request: StateRequest) async -> StateResponse {
        var response = StateResponse()
        response.id = request.id
        do {
            switch (request.stateKey.type, request.request) {
            case (.iterableSideInput(let key), .get(let get)):
                let side = try sideInput(key.transformID, key.sideInputID)
                response.get = try SideInputPaging.page(side.data.iterable(window: [UInt8](key.window)),
                                                        elementCoder: side.elementCoder, continuationToken: get.continuationToken)
            case (.multimapSideInput(let key), .get(let get)):
                let side = try sideInput(key.transformID, key.sideInputID)
                let values = side.data.multimapValues(window: [UInt8](key.window), key: [UInt8](key.key))
                response.get = try SideInputPaging.page(values, elementCoder: side.keyAndValueCoders.1,
                                                        continuationToken: get.continuationToken)
            case (.multimapKeysSideInput(let key), .get(let get)):
                let side = try sideInput(key.transformID, key.sideInputID)
                response.get = try SideInputPaging.page(side.data.multimapKeys(window: [UInt8](key.window)),
                                                        elementCoder: side.keyAndValueCoders.0, continuationToken: get.continuationToken)
            case (.bagUserState, let operation?), (.multimapUserState, let operation?),
                 (.multimapKeysUserState, let operation?), (.orderedListUserState, let operation?):
                response.response = try userStateResponse(request.stateKey, operation)
            default:
                response.error = "State request not supported by beam-job-server: \(Self.caseName(request.stateKey.type)) / \(Self.caseName(request.request))"
            }
        } catch {
            response.error = "\(error)"
        }
        return response
    }

    /// The enum case of a oneof, without its payload: "multimapUserState".
    private static func caseName(_ value: Any?) -> String {
        guard let value else { return "none" }
        return String(String(describing: value).prefix { $0 != "(" })
    }

    private func sideInput(_ transformID: String, _ localName: String) throws -> SideInput {
        guard let data = sideInputs[SideInputKey(transformID: transformID, localName: localName)] else {
            throw PlanningError("No side input '\(localName)' for transform '\(transformID)' in this stage")
        }
        return data
    }
}
