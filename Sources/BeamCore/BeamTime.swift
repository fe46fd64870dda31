/// Beam's time constants (millis since the epoch, as in `BeamConstants`) and the
/// 8-byte timestamp encoding used by windowed values, interval windows and timers.
///
/// Used by the coders, the windowed-value codec and the engine's watermarks.
public enum BeamTime {
    /// BeamConstants.MIN_TIMESTAMP_MILLIS: negative infinity.
    public static let minTimestamp: Int64 = -9_223_372_036_854_775
    /// BeamConstants.MAX_TIMESTAMP_MILLIS: positive infinity.
    public static let maxTimestamp: Int64 = 9_223_372_036_854_775
    /// BeamConstants.GLOBAL_WINDOW_MAX_TIMESTAMP_MILLIS: one day before +inf, so that
    /// timers and outputs at the end of the global window stay below +inf.
    public static let globalWindowMaxTimestamp: Int64 = maxTimestamp - 86_400_000
}

extension ByteReader {
    /// 8 bytes big-endian with the sign bit flipped, so byte order equals time order.
    public mutating func readTimestamp() throws -> Int64 {
        Int64(bitPattern: try readBigEndianUInt64() ^ (1 << 63))
    }
}

extension ByteWriter {
    /// 8 bytes big-endian with the sign bit flipped, so byte order equals time order.
    public mutating func writeTimestamp(_ millis: Int64) {
        writeBigEndianUInt64(UInt64(bitPattern: millis) ^ (1 << 63))
    }
}
