import BeamCore
import Planner
import Worker

/// The wire format of a merge-windows bundle: one KV(nonce, windows) per key
/// in, one KV(nonce, KV(unmerged, [KV(merged window, originals)])) per key
/// out, all in the global window. The nonce is the key's index in the request.
struct CustomWindowMerging {
    let merge: MergeWindowsStage

    typealias Merges = [(result: BeamWindow, originals: [BeamWindow])]

    func request(_ keys: [(key: [UInt8], windows: [BeamWindow])]) throws -> BundleInput {
        var elements: [[UInt8]] = []
        let codec = WindowedValueCodec(elementCoder: .bytes, windowCoder: .globalWindow)
        for (index, entry) in keys.enumerated() {
            var writer = ByteWriter()
            try codec.writeHeader(timestamp: BeamTime.minTimestamp, windows: [.global], pane: .noFiring, into: &writer)
            writer.writeLengthPrefixed(Array(String(index).utf8))
            IterableEncoding.writeHeader(count: entry.windows.count, into: &writer)
            for window in entry.windows { try merge.windowCoder.encodeWindow(window, into: &writer) }
            elements.append(writer.bytes)
        }
        return BundleInput(transformID: merge.stage.input.transformID, elements: elements)
    }

    /// The merges of each requested key, by index in the request.
    func results(_ output: [UInt8], keyCount: Int) throws -> [Int: Merges] {
        var byIndex: [Int: Merges] = [:]
        let window = merge.windowCoder
        let codec = WindowedValueCodec(elementCoder: .kv(.bytes, .kv(.iterable(window), .iterable(.kv(window, .iterable(window))))),
                                       windowCoder: .globalWindow)
        var values = ByteReader(output)
        while !values.isAtEnd {
            var reader = ByteReader(try codec.read(&values).element)
            let nonce = try reader.readBytes(try reader.readLength())
            guard let index = Int(String(decoding: nonce, as: UTF8.self)), index < keyCount else {
                throw ExecutionError("The SDK's window merge answered for an unknown key nonce")
            }
            try IterableEncoding.forEachElement(&reader) { _ = try merge.windowCoder.decodeWindow(&$0) }
            var merges: Merges = []
            try IterableEncoding.forEachElement(&reader) { entry in
                let result = try merge.windowCoder.decodeWindow(&entry)
                var originals: [BeamWindow] = []
                try IterableEncoding.forEachElement(&entry) { originals.append(try merge.windowCoder.decodeWindow(&$0)) }
                merges.append((result, originals))
            }
            byIndex[index] = merges
        }
        return byIndex
    }
}
