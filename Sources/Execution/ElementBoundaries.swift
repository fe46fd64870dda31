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
                var reader = ByteReader(chunk)
                var last = 0
                while !reader.isAtEnd {
                    if reader.position - last >= spacing {
                        offsets.append(base + reader.position)
                        last = reader.position
                    }
                    do { try coder.skip(&reader) } catch { break }  // undecodable: send the rest whole
                }
            }
            base += chunk.count
        }
        return offsets
    }
}
