import BeamCore
import BeamModel

/// Chooses the coders of bytes that cross the runner boundary: every coder
/// the runner does not understand is wrapped in a length prefix (so elements,
/// keys and values can be split without decoding them), and elements travel
/// as `windowed_value(element, window)`. New coders are added to the context.
struct CoderWiring {
    private var lengthPrefixed: [String: String] = [:]
    private var windowed: [String: String] = [:]

    /// The id of `coderID` with unknown coders length-prefixed (itself if nothing changes).
    mutating func lengthPrefixUnknown(_ coderID: String, in context: inout PlanningContext) throws -> String {
        if let done = lengthPrefixed[coderID] { return done }
        let coder = try context.coder(coderID)
        let result: String
        if coder.spec.urn == CoderURNs.lengthPrefix {
            result = coderID
        } else if CoderURNs.understood.contains(coder.spec.urn) {
            var components: [String] = []
            for component in coder.componentCoderIds {
                components.append(try lengthPrefixUnknown(component, in: &context))
            }
            if components == coder.componentCoderIds {
                result = coderID
            } else {
                var rebuilt = coder
                rebuilt.componentCoderIds = components
                result = context.uniqueID("\(coderID)_lp")
                context.components.coders[result] = rebuilt
            }
        } else {
            result = context.addCoder(CoderURNs.lengthPrefix, components: [coderID], base: "\(coderID)_lp")
        }
        lengthPrefixed[coderID] = result
        return result
    }

    /// The id of `windowed_value(element, window)`.
    mutating func windowedValue(element: String, window: String, in context: inout PlanningContext) -> String {
        let key = "\(element)|\(window)"
        if let done = windowed[key] { return done }
        let id = context.addCoder(CoderURNs.windowedValue, components: [element, window], base: "wv_\(element)")
        windowed[key] = id
        return id
    }

    /// The runner's view of a proto coder.
    static func spec(_ coderID: String, in components: Components) throws -> CoderSpec {
        guard let coder = components.coders[coderID] else { throw PlanningError("Unknown coder '\(coderID)'") }
        let parts = try coder.componentCoderIds.map { try spec($0, in: components) }
        return CoderSpec.fromURN(coder.spec.urn, components: parts, payload: [UInt8](coder.spec.payload))
    }
}
