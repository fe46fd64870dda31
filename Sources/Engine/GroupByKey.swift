import BeamCore

/// Batch GroupByKey over encoded elements: groups windowed KVs by (encoded key,
/// window), merging session windows per key, and emits one on-time pane per group.
///
/// Execution calls `run` with a GBK input PCollection's chunks once all of it is
/// available. Input: concatenated windowed_value(kv(K, V), W); output: concatenated
/// windowed_value(kv(K, iterable(V)), W). Keys are compared by their encoded bytes
/// (the planner guarantees deterministic key coders). Output order: keys in order of
/// first appearance, each key's windows in order of first appearance (sessions: by start).
public enum GroupByKey {
    public static func run(
        input: [[UInt8]], keyCoder: CoderSpec, valueCoder: CoderSpec, windowing: WindowingSpec
    ) throws -> [UInt8] {
        let codec = WindowedValueCodec(elementCoder: .kv(keyCoder, valueCoder), windowCoder: windowing.windowCoder)
        let splitter = KVSplitter(keyCoder: keyCoder)
        var groups = GroupTable()
        switch windowing.windowFn {
        case .sessions:
            var sessions = SessionCollector()
            for chunk in input {
                try codec.forEach(in: chunk[...]) { value in
                    let (key, element) = try splitter.split(value.element)
                    try sessions.add(key: key, value: element, timestamp: value.timestamp, windows: value.windows)
                }
            }
            sessions.merge(into: &groups)
        case let .custom(urn, _) where windowing.needsMerge:
            throw EngineError.unsupported("merging custom WindowFn \(urn)")
        default:
            for chunk in input {
                try codec.forEach(in: chunk[...]) { value in
                    let (key, element) = try splitter.split(value.element)
                    let keyIndex = groups.keyIndex(for: key)
                    for window in value.windows {
                        groups.add(keyIndex: keyIndex, window: window, value: element, timestamp: value.timestamp)
                    }
                }
            }
        }
        return try groups.encode(codec: codec, combiner: windowing.timestampCombiner)
    }
}
