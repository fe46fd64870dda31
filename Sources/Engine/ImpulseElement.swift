import BeamCore

/// The one element an Impulse produces: an empty byte string at the minimum
/// timestamp in the global window, pane NO_FIRING, encoded as
/// windowed_value(bytes, global_window). Execution feeds it to Impulse consumers.
public enum ImpulseElement {
    public static func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 14)
        writer.writeTimestamp(BeamTime.minTimestamp)
        writer.writeBigEndianInt32(1)  // one window; the global window encodes as nothing
        PaneInfo.noFiring.encode(into: &writer)
        writer.writeLengthPrefixed([UInt8]())
        return writer.bytes
    }
}
