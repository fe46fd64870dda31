/// Which firing of a window produced a value, with Beam's compact encoding.
///
/// Carried by every windowed value; the engine stamps grouped output with it. The
/// encoding is one byte (bit 0 first, bit 1 last, bits 2-3 timing, high nibble the
/// encoding type) followed by zero, one or two varint indices.
public struct PaneInfo: Hashable, Sendable, Codable {
    public enum Timing: UInt8, Sendable, Codable {
        case early = 0
        case onTime = 1
        case late = 2
        case unknown = 3
    }

    public var isFirst: Bool
    public var isLast: Bool
    public var timing: Timing
    public var index: Int64
    public var nonSpeculativeIndex: Int64

    public init(isFirst: Bool, isLast: Bool, timing: Timing, index: Int64, nonSpeculativeIndex: Int64) {
        self.isFirst = isFirst
        self.isLast = isLast
        self.timing = timing
        self.index = index
        self.nonSpeculativeIndex = nonSpeculativeIndex
    }

    /// Not produced by a trigger firing (PaneInfo.NO_FIRING, encoded 0x0F).
    public static let noFiring = PaneInfo(isFirst: true, isLast: true, timing: .unknown, index: 0, nonSpeculativeIndex: 0)
    /// The single on-time firing of a batch GroupByKey (encoded 0x07).
    public static let onTimeOnly = PaneInfo(isFirst: true, isLast: true, timing: .onTime, index: 0, nonSpeculativeIndex: 0)

    private enum Encoding: UInt8 {
        case first = 0, oneIndex = 1, twoIndices = 2
    }

    private var flagsByte: UInt8 {
        (isFirst ? 1 : 0) | (isLast ? 2 : 0) | timing.rawValue << 2
    }

    // Same choice as Beam's Java and Python SDKs, so our bytes match theirs.
    private var encoding: Encoding {
        if (index == 0 && nonSpeculativeIndex == 0) || timing == .unknown { return .first }
        if index == nonSpeculativeIndex || timing == .early { return .oneIndex }
        return .twoIndices
    }

    public func encode(into writer: inout ByteWriter) {
        let encoding = self.encoding
        writer.writeByte(flagsByte | encoding.rawValue << 4)
        switch encoding {
        case .first:
            break
        case .oneIndex:
            writer.writeVarInt64(index)
        case .twoIndices:
            writer.writeVarInt64(index)
            writer.writeVarInt64(nonSpeculativeIndex)
        }
    }

    public static func decode(_ reader: inout ByteReader) throws -> PaneInfo {
        let byte = try reader.readByte()
        if byte == 0x0F { return .noFiring }
        let timing = Timing(rawValue: (byte >> 2) & 0x3)!
        var pane = PaneInfo(isFirst: byte & 1 != 0, isLast: byte & 2 != 0, timing: timing, index: 0, nonSpeculativeIndex: 0)
        switch Encoding(rawValue: byte >> 4) {
        case .first:
            // Indices omitted on the wire mean 0; keeping them 0 makes re-encoding exact.
            break
        case .oneIndex:
            pane.index = try reader.readVarInt64()
            pane.nonSpeculativeIndex = timing == .early ? -1 : pane.index
        case .twoIndices:
            pane.index = try reader.readVarInt64()
            pane.nonSpeculativeIndex = try reader.readVarInt64()
        case nil:
            throw CoderError.invalidEncoding("pane info byte 0x\(String(byte, radix: 16))")
        }
        return pane
    }

    public static func skip(_ reader: inout ByteReader) throws {
        let byte = try reader.readByte()
        switch byte >> 4 {
        case 0: break
        case 1: _ = try reader.readVarInt64()
        case 2:
            _ = try reader.readVarInt64()
            _ = try reader.readVarInt64()
        default:
            throw CoderError.invalidEncoding("pane info byte 0x\(String(byte, radix: 16))")
        }
    }
}
