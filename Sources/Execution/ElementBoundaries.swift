import BeamCore

/// Where the data plane may cut a stage's input into messages: SDKs decode
/// each message on its own, so cuts must fall between elements. Chunk starts
/// are boundaries for free (every chunk holds whole elements); inside a large
/// chunk whose coder the runner understands, elements are skipped to find a
/// boundary about every `spacing` bytes. The worker cuts only at these offsets.
enum ElementBoundaries {
    static let spacing = 1 << 20

    static func offsets(of chunks: [[UInt8]], coder: CoderSpec) -> [Int] {
        var offsets: [Int] = []
        var base = 0
        for chunk in chunks {
            offsets.append(base)
            if chunk.count > 2 * spacing && coder.isKnown {
                var position = 0
                // An undecodable element ends the search: the rest goes whole.
                while let next = try? boundary(from: position, in: chunk, spacing: spacing, coder: coder), next < chunk.count {
                    offsets.append(base + next)
                    position = next
                }
            }
            base += chunk.count
        }
        return offsets
    }

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
