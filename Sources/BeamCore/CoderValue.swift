/// A fully decoded value of any coder the runner understands.
///
/// Produced by `CoderSpec.decode` and consumed by `CoderSpec.encode`; the runner's
/// hot paths never build these (they work on encoded bytes), tests and the odd
/// control-path lookup do.
public indirect enum CoderValue: Hashable, Sendable {
    case bytes([UInt8])
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    case kv(CoderValue, CoderValue)
    case iterable([CoderValue])
    case window(BeamWindow)
    case windowedValue(DecodedWindowedValue)
    case timer(DecodedTimer)
    /// The absent case of a nullable coder.
    case null
    /// The content of a length prefix around a coder the runner does not understand.
    case opaque([UInt8])

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .bytes: return "bytes"
        case .string: return "string"
        case .int: return "int"
        case .bool: return "bool"
        case .double: return "double"
        case .kv: return "kv"
        case .iterable: return "iterable"
        case .window: return "window"
        case .windowedValue: return "windowed value"
        case .timer: return "timer"
        case .null: return "null"
        case .opaque: return "opaque bytes"
        }
    }
}

/// A decoded windowed value (the `CoderValue.windowedValue` payload).
public struct DecodedWindowedValue: Hashable, Sendable {
    public var value: CoderValue
    public var timestamp: Int64
    public var windows: [BeamWindow]
    public var pane: PaneInfo

    public init(value: CoderValue, timestamp: Int64, windows: [BeamWindow], pane: PaneInfo) {
        self.value = value
        self.timestamp = timestamp
        self.windows = windows
        self.pane = pane
    }
}

/// A decoded timer (the `CoderValue.timer` payload, beam:coder:timer:v1).
public struct DecodedTimer: Hashable, Sendable {
    /// When and how a set timer fires; absent when the timer is cleared.
    public struct Firing: Hashable, Sendable {
        public var fireTimestamp: Int64
        public var holdTimestamp: Int64
        public var pane: PaneInfo

        public init(fireTimestamp: Int64, holdTimestamp: Int64, pane: PaneInfo) {
            self.fireTimestamp = fireTimestamp
            self.holdTimestamp = holdTimestamp
            self.pane = pane
        }
    }

    public var userKey: CoderValue
    public var dynamicTimerTag: String
    public var windows: [BeamWindow]
    /// nil means the clear bit is set.
    public var firing: Firing?

    public var clearBit: Bool { firing == nil }

    public init(userKey: CoderValue, dynamicTimerTag: String, windows: [BeamWindow], firing: Firing?) {
        self.userKey = userKey
        self.dynamicTimerTag = dynamicTimerTag
        self.windows = windows
        self.firing = firing
    }
}
