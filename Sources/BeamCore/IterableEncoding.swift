/// Beam's iterable encoding (beam:coder:iterable:v1), on already-encoded elements.
///
/// The engine builds grouped values and side-input payloads with `writeHeader` plus
/// raw element bytes; the coders use `skip`. Known length: int32 big-endian count,
/// then the nested elements. Unknown length (count -1, decode only): blocks of
/// varint count + elements, ended by a 0 (or by -1 and a state token).
public enum IterableEncoding {
    /// The count prefix of a known-length iterable.
    public static func writeHeader(count: Int, into writer: inout ByteWriter) {
        writer.writeBigEndianInt32(Int32(count))  // traps past Int32.max rather than corrupt
    }

    /// An iterable of already-encoded (nested) elements.
    public static func encode(_ elements: some Collection<ArraySlice<UInt8>>, into writer: inout ByteWriter) {
        writeHeader(count: elements.count, into: &writer)
        for element in elements {
            writer.writeBytes(element)
        }
    }

    /// An iterable of already-encoded (nested) elements.
    public static func encode(_ elements: [[UInt8]]) -> [UInt8] {
        var writer = ByteWriter(capacity: 4 + elements.reduce(0) { $0 + $1.count })
        encode(elements.lazy.map { $0[...] }, into: &writer)
        return writer.bytes
    }

    /// The iterable's header with `count` and `concatenated` (count nested elements).
    public static func encode(count: Int, concatenated: ArraySlice<UInt8>, into writer: inout ByteWriter) {
        writeHeader(count: count, into: &writer)
        writer.writeBytes(concatenated)
    }

    static func skip(_ reader: inout ByteReader, element: CoderSpec) throws {
        try forEachElement(&reader) { try element.skip(&$0) }
    }

    /// Walks the elements of either form, calling `body` to consume each one.
    public static func forEachElement(_ reader: inout ByteReader, _ body: (inout ByteReader) throws -> Void) throws {
        let count = try reader.readBigEndianInt32()
        if count >= 0 {
            for _ in 0..<count { try body(&reader) }
            return
        }
        guard count == -1 else { throw CoderError.invalidEncoding("iterable count \(count)") }
        while true {
            let blockCount = try reader.readVarInt64()
            if blockCount == 0 { return }
            if blockCount == -1 {
                // The rest lives in runner state behind this token; we never hand those out.
                throw CoderError.unsupported("state-backed iterable continuation token")
            }
            guard blockCount > 0 else { throw CoderError.invalidEncoding("iterable block count \(blockCount)") }
            for _ in 0..<blockCount { try body(&reader) }
        }
    }
}
