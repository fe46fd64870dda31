import BeamCore

/// How a grouping's output timestamp follows from its inputs (Beam's OutputTime).
///
/// Part of `WindowingSpec`; applied by `GroupByKey` per (key, window).
public enum TimestampCombiner: Sendable, Hashable {
    /// The window's max timestamp (Beam's default).
    case endOfWindow
    /// The earliest input timestamp in the pane.
    case earliest
    /// The latest input timestamp in the pane.
    case latest

    /// The output timestamp of a pane in `window` whose inputs span [earliest, latest].
    func outputTimestamp(window: BeamWindow, earliest: Int64, latest: Int64) throws -> Int64 {
        switch self {
        case .earliest:
            return earliest
        case .latest:
            return latest
        case .endOfWindow:
            guard let end = window.maxTimestamp else {
                throw EngineError.unsupported("END_OF_WINDOW timestamps for windows the runner cannot decode")
            }
            return end
        }
    }
}
