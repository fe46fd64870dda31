/// A windowed value taken apart down to its element, which stays encoded.
///
/// Produced by `WindowedValueCodec` for the engine and worker; `element` is the
/// nested encoding of the value in the element coder and usually shares storage
/// with the chunk it came from.
public struct EncodedWindowedValue: Hashable, Sendable {
    public var timestamp: Int64
    public var windows: [BeamWindow]
    public var pane: PaneInfo
    public var element: ArraySlice<UInt8>

    public init(timestamp: Int64, windows: [BeamWindow], pane: PaneInfo, element: ArraySlice<UInt8>) {
        self.timestamp = timestamp
        self.windows = windows
        self.pane = pane
        self.element = element
    }

    public init(timestamp: Int64, windows: [BeamWindow], pane: PaneInfo, element: [UInt8]) {
        self.init(timestamp: timestamp, windows: windows, pane: pane, element: element[...])
    }
}
