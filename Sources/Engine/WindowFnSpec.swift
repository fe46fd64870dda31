import BeamCore

/// A PCollection's WindowFn, as far as the engine needs to know it.
///
/// Built by the planner from the WindowingStrategy's FunctionSpec (standard window
/// fns decoded, anything else `.custom`). Durations and offsets are in millis.
public enum WindowFnSpec: Sendable, Hashable {
    case global
    case fixed(sizeMillis: Int64, offsetMillis: Int64)
    case sliding(sizeMillis: Int64, periodMillis: Int64, offsetMillis: Int64)
    case sessions(gapMillis: Int64)
    /// An SDK-defined WindowFn: the SDK assigns its windows; the engine only groups.
    case custom(urn: String, payload: [UInt8])

    /// The windows Beam assigns to an element at `timestamp` (as the SDKs' `assign`).
    /// Sessions give the element's proto-session [t, t + gap), merged later by GroupByKey.
    public func assignWindows(timestamp: Int64) throws -> [BeamWindow] {
        switch self {
        case .global:
            return [.global]
        case let .fixed(size, offset):
            let start = timestamp - Self.floorMod(timestamp - offset, size)
            return [.interval(start: start, end: start + size)]
        case let .sliding(size, period, offset):
            let lastStart = timestamp - Self.floorMod(timestamp - offset, period)
            var windows: [BeamWindow] = []
            var start = lastStart
            while start > timestamp - size {
                windows.append(.interval(start: start, end: start + size))
                start -= period
            }
            return windows
        case let .sessions(gap):
            return [.interval(start: timestamp, end: timestamp + gap)]
        case let .custom(urn, _):
            throw EngineError.unsupported("assigning windows of custom WindowFn \(urn) (the SDK must do it)")
        }
    }

    /// Python's `%`: the remainder takes the divisor's sign, so windows tile negative time too.
    private static func floorMod(_ value: Int64, _ divisor: Int64) -> Int64 {
        let remainder = value % divisor
        return remainder != 0 && (remainder < 0) != (divisor < 0) ? remainder + divisor : remainder
    }
}
