import BeamCore
import BeamModel
import Engine
import Foundation
import Planner
import Worker

/// Answers one stage's State API requests: side inputs from the engine's
/// materialized PCollections (iterable and multimap access), and bag user
/// state from the job's `UserStateStore`. Unsupported keys get an error
/// response naming them, which fails the bundle with that text.
struct BundleStateServer: BundleStateHandler {
    /// (transform id, side input local name) -> materialized side input.
    let sideInputs: [SideInputKey: SideInput]
    let userState: UserStateStore

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
            case (.bagUserState(let key), let operation?):
                let address = UserStateStore.Address(transformID: key.transformID, stateID: key.userStateID,
                                                     key: [UInt8](key.key), window: [UInt8](key.window))
                switch operation {
                case .get: response.get = .with { $0.data = Data(userState.read(address)) }
                case .append(let append):
                    userState.append([UInt8](append.data), to: address)
                    response.append = .init()
                case .clear:
                    userState.clear(address)
                    response.clear = .init()
                }
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
