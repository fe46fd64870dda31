/// A coder as the runner sees it: the structure of the bytes, not the SDK's types.
///
/// The planner builds these from the pipeline's Coder protos (`fromURN`); the
/// engine and worker use them to find value boundaries (`skip`), and tests use
/// `decode`/`encode`. Anything the runner does not understand is `.opaque`; its
/// values can only be stepped over when wrapped in `.lengthPrefix`.
public indirect enum CoderSpec: Sendable, Hashable {
    case bytes
    case stringUTF8
    case varint
    case bool
    case double
    case kv(CoderSpec, CoderSpec)
    case iterable(CoderSpec)
    case lengthPrefix(CoderSpec)
    case globalWindow
    case intervalWindow
    case windowedValue(element: CoderSpec, window: CoderSpec)
    /// A windowed value whose timestamp, windows and pane are fixed by `payload`
    /// (itself a windowed_value(bytes, window) encoding); only the element is on the wire.
    case paramWindowedValue(element: CoderSpec, window: CoderSpec, payload: [UInt8])
    case timer(key: CoderSpec, window: CoderSpec)
    case nullable(CoderSpec)
    case opaque(urn: String)

    /// Maps a Beam coder URN and its already-mapped components. A known URN with the
    /// wrong number of components is treated as opaque rather than trusted.
    public static func fromURN(_ urn: String, components: [CoderSpec], payload: [UInt8]) -> CoderSpec {
        switch (urn, components.count) {
        case (CoderURNs.bytes, 0): return .bytes
        case (CoderURNs.stringUTF8, 0): return .stringUTF8
        case (CoderURNs.varint, 0): return .varint
        case (CoderURNs.bool, 0): return .bool
        case (CoderURNs.double, 0): return .double
        case (CoderURNs.kv, 2): return .kv(components[0], components[1])
        case (CoderURNs.iterable, 1): return .iterable(components[0])
        case (CoderURNs.lengthPrefix, 1): return .lengthPrefix(components[0])
        case (CoderURNs.globalWindow, 0): return .globalWindow
        case (CoderURNs.intervalWindow, 0): return .intervalWindow
        case (CoderURNs.windowedValue, 2): return .windowedValue(element: components[0], window: components[1])
        case (CoderURNs.paramWindowedValue, 2):
            return .paramWindowedValue(element: components[0], window: components[1], payload: payload)
        case (CoderURNs.timer, 2): return .timer(key: components[0], window: components[1])
        case (CoderURNs.nullable, 1): return .nullable(components[0])
        default: return .opaque(urn: urn)
        }
    }

    /// The URN this spec stands for.
    public var urn: String {
        switch self {
        case .bytes: return CoderURNs.bytes
        case .stringUTF8: return CoderURNs.stringUTF8
        case .varint: return CoderURNs.varint
        case .bool: return CoderURNs.bool
        case .double: return CoderURNs.double
        case .kv: return CoderURNs.kv
        case .iterable: return CoderURNs.iterable
        case .lengthPrefix: return CoderURNs.lengthPrefix
        case .globalWindow: return CoderURNs.globalWindow
        case .intervalWindow: return CoderURNs.intervalWindow
        case .windowedValue: return CoderURNs.windowedValue
        case .paramWindowedValue: return CoderURNs.paramWindowedValue
        case .timer: return CoderURNs.timer
        case .nullable: return CoderURNs.nullable
        case let .opaque(urn): return urn
        }
    }

    /// Whether the runner can find the end of every value: false if this coder or a
    /// component is opaque without a length prefix around it.
    public var isKnown: Bool {
        switch self {
        case .bytes, .stringUTF8, .varint, .bool, .double, .globalWindow, .intervalWindow:
            return true
        case .lengthPrefix:
            return true
        case .opaque:
            return false
        case let .kv(key, value):
            return key.isKnown && value.isKnown
        case let .iterable(element), let .nullable(element):
            return element.isKnown
        case let .windowedValue(element, window), let .paramWindowedValue(element, window, _):
            return element.isKnown && window.isKnown
        case let .timer(key, window):
            return key.isKnown && window.isKnown
        }
    }
}
