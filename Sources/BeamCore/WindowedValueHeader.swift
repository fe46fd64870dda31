/// The metadata in front of a windowed value's element: timestamp, windows, pane.
///
/// Shared by `CoderSpec` decode/encode and `WindowedValueCodec`; also how a
/// param_windowed_value payload is read.
struct WindowedValueHeader: Sendable {
    var timestamp: Int64
    var windows: [BeamWindow]
    var pane: PaneInfo

    static func read(_ reader: inout ByteReader, windowCoder: CoderSpec) throws -> WindowedValueHeader {
        let timestamp = try reader.readTimestamp()
        let windows = try windowCoder.decodeWindowList(&reader)
        let pane = try PaneInfo.decode(&reader)
        return WindowedValueHeader(timestamp: timestamp, windows: windows, pane: pane)
    }

    static func write(
        timestamp: Int64, windows: [BeamWindow], pane: PaneInfo, windowCoder: CoderSpec, into writer: inout ByteWriter
    ) throws {
        writer.writeTimestamp(timestamp)
        try windowCoder.encodeWindowList(windows, into: &writer)
        pane.encode(into: &writer)
    }

    /// The fixed metadata of a param_windowed_value coder. Its payload is a whole
    /// windowed_value(bytes, window); whatever follows the pane is ignored, as Beam does.
    static func fromPayload(_ payload: [UInt8], windowCoder: CoderSpec) throws -> WindowedValueHeader {
        var reader = ByteReader(payload)
        return try read(&reader, windowCoder: windowCoder)
    }
}
