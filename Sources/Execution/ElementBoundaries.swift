import BeamCore

/// Where encoded elements may be cut (side-input pages): SDKs decode each
/// piece on its own, so cuts must fall between elements, found by skipping
/// whole elements of a coder the runner understands.
enum ElementBoundaries {
    /// The first element boundary at least `spacing` bytes past `start` (or
    /// the end of `bytes`), found by skipping whole elements with `coder`.
    static func boundary(from start: Int, in bytes: [UInt8], spacing: Int, coder: CoderSpec) throws -> Int {
        var reader = ByteReader(bytes[start...])
        while !reader.isAtEnd && reader.position - start < spacing {
            try coder.skip(&reader)
        }
        return reader.position
    }
}
