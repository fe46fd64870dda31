/// Errors raised while reading or writing Beam-encoded bytes.
///
/// Thrown by `ByteReader`, `CoderSpec` (skip/decode/encode) and the windowed-value
/// helpers; callers (engine, worker) map them to job failures.
public enum CoderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before a value was complete.
    case truncated(needed: Int, available: Int)
    /// A varint ran past 10 bytes.
    case malformedVarInt
    /// Bytes that no value of the coder can have (bad bool byte, bad pane encoding, ...).
    case invalidEncoding(String)
    /// A coder the runner does not understand and cannot skip (not length-prefixed).
    case unknownCoder(urn: String)
    /// `encode` was handed a value of the wrong kind for the coder.
    case valueMismatch(coder: String, value: String)
    /// Encoded bytes the runner recognizes but does not support (e.g. state-backed iterables).
    case unsupported(String)
    /// A buffer held more than the one value it was supposed to hold.
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case let .truncated(needed, available):
            return "truncated input: needed \(needed) bytes, \(available) available"
        case .malformedVarInt:
            return "malformed varint (more than 10 bytes)"
        case let .invalidEncoding(what):
            return "invalid encoding: \(what)"
        case let .unknownCoder(urn):
            return "coder \(urn) is not understood by the runner and is not length-prefixed"
        case let .valueMismatch(coder, value):
            return "cannot encode \(value) with coder \(coder)"
        case let .unsupported(what):
            return "unsupported encoding: \(what)"
        case let .trailingBytes(count):
            return "\(count) unexpected trailing bytes"
        }
    }
}
