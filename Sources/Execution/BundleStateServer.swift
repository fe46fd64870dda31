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
    let sideInputs: [SideInputKey: SideInputData]
    let userState: UserStateStore

    struct SideInputKey: Hashable, Sendable {
        let transformID: String
        let localName: String
    }

    func handle(_ request: StateRequest) async -> StateResponse {
        var response = StateResponse()
        response.id = request.id
        do {
            switch (request.stateKey.type, request.request) {
            case (.iterableSideInput(let key), .get):
                let data = try sideInput(key.transformID, key.sideInputID).iterable(window: [UInt8](key.window))
                response.get = .with { $0.data = Data(data) }
            case (.multimapSideInput(let key), .get):
                let data = try sideInput(key.transformID, key.sideInputID)
                    .multimapValues(window: [UInt8](key.window), key: [UInt8](key.key))
                response.get = .with { $0.data = Data(data) }
            case (.multimapKeysSideInput(let key), .get):
                let data = try sideInput(key.transformID, key.sideInputID).multimapKeys(window: [UInt8](key.window))
                response.get = .with { $0.data = Data(data) }
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
                response.error = "State request not supported by beam-job-server: \(request.stateKey.type.map { "\($0)".prefix(60) } ?? "no key") / \(request.request.map { "\($0)".prefix(20) } ?? "no request")"
            }
        } catch {
            response.error = "\(error)"
        }
        return response
    }

    private func sideInput(_ transformID: String, _ localName: String) throws -> SideInputData {
        guard let data = sideInputs[SideInputKey(transformID: transformID, localName: localName)] else {
            throw PlanningError("No side input '\(localName)' for transform '\(transformID)' in this stage")
        }
        return data
    }
}
