/// One window a value belongs to.
///
/// Produced by the windowed-value codec, grouped on by the engine. `.opaque` holds
/// the complete nested encoding of a window whose coder the runner cannot decode
/// (for example a length-prefixed SDK-specific window coder); two such windows are
/// equal exactly when their encodings are.
public enum BeamWindow: Hashable, Sendable, Codable {
    case global
    /// [start, end) in millis.
    case interval(start: Int64, end: Int64)
    case opaque([UInt8])

    /// The last timestamp inside the window; nil for opaque windows (unknown to us).
    public var maxTimestamp: Int64? {
        switch self {
        case .global: return BeamTime.globalWindowMaxTimestamp
        case let .interval(_, end): return end - 1
        case .opaque: return nil
        }
    }
}
