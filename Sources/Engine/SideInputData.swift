import BeamCore

/// A materialized side input: a PCollection's elements indexed by window, and for
/// KV PCollections by window and key, ready to answer State API side-input reads.
///
/// Built by Execution once the side-input PCollection is complete; the worker's
/// state service asks it with the window bytes and key bytes the SDK sends.
/// Windows are named by their encoding in the window coder (see `encodeWindow`).
/// Answers are concatenated nested encodings, which is what the SDK expects.
public struct SideInputData: Sendable {
    private struct WindowMultimap: Sendable {
        /// Distinct keys, concatenated, in order of first appearance.
        var keys: [UInt8] = []
        var values: [EncodedKey: [UInt8]] = [:]

        mutating func add(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>) {
            if let index = values.index(forKey: EncodedKey(key)) {
                value.withUnsafeBufferPointer { values.values[index].append(contentsOf: $0) }
            } else {
                // Own the key bytes so the index does not pin the input chunks.
                values[EncodedKey(Array(key))] = Array(value)
                keys.append(contentsOf: key)
            }
        }
    }

    private var iterables: [EncodedKey: [UInt8]] = [:]
    /// Empty unless the elements are KVs.
    private var multimaps: [EncodedKey: WindowMultimap] = [:]

    /// Indexes `chunks` of concatenated windowed_value(element, window) encodings.
    /// A kv element coder also builds the multimap view.
    public init(chunks: [[UInt8]], elementCoder: CoderSpec, windowCoder: CoderSpec) throws {
        let codec = WindowedValueCodec(elementCoder: elementCoder, windowCoder: windowCoder)
        var splitter: KVSplitter?
        if case let .kv(keyCoder, _) = elementCoder {
            splitter = KVSplitter(keyCoder: keyCoder)
        }
        var windowNames: [BeamWindow: EncodedKey] = [:]
        for chunk in chunks {
            try codec.forEach(in: chunk[...]) { value in
                for window in value.windows {
                    let name: EncodedKey
                    if let known = windowNames[window] {
                        name = known
                    } else {
                        name = EncodedKey(try windowCoder.encodedWindow(window))
                        windowNames[window] = name
                    }
                    value.element.withUnsafeBufferPointer { iterables[name, default: []].append(contentsOf: $0) }
                    if let splitter {
                        let (key, element) = try splitter.split(value.element)
                        addToMultimap(window: name, key: key, value: element)
                    }
                }
            }
        }
    }

    private mutating func addToMultimap(window: EncodedKey, key: ArraySlice<UInt8>, value: ArraySlice<UInt8>) {
        // Mutated in place through the subscripts: no copy of the window's index.
        multimaps[window, default: WindowMultimap()].add(key: key, value: value)
    }

    /// All elements in `window`, concatenated; empty if the window has none.
    public func iterable(window: [UInt8]) -> [UInt8] {
        iterables[EncodedKey(window)] ?? []
    }

    /// The values of `key` in `window`, concatenated; empty if none (or not KVs).
    public func multimapValues(window: [UInt8], key: [UInt8]) -> [UInt8] {
        multimaps[EncodedKey(window)]?.values[EncodedKey(key)] ?? []
    }

    /// The distinct keys in `window`, concatenated; empty if none (or not KVs).
    public func multimapKeys(window: [UInt8]) -> [UInt8] {
        multimaps[EncodedKey(window)]?.keys ?? []
    }

    /// The encoded names of the windows that hold elements.
    public var windows: [[UInt8]] {
        iterables.keys.map { Array($0.bytes) }
    }

    /// How a window is named in lookups: its encoding in the window coder.
    public static func encodeWindow(_ window: BeamWindow, coder: CoderSpec) throws -> [UInt8] {
        try coder.encodedWindow(window)
    }
}
