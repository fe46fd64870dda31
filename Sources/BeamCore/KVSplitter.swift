/// Splits the nested encoding of a KV into key bytes and value bytes.
///
/// Used by the engine (GroupByKey, multimap side inputs) on elements produced by
/// `WindowedValueCodec`. Only the key is walked: a KV element is exactly key then
/// value, so the value is the rest, and its coder may even be opaque.
public struct KVSplitter: Sendable {
    public let keyCoder: CoderSpec

    public init(keyCoder: CoderSpec) {
        self.keyCoder = keyCoder
    }

    /// From a kv(K, V) coder.
    public init(kvCoder: CoderSpec) throws {
        guard case let .kv(key, _) = kvCoder else {
            throw CoderError.valueMismatch(coder: kvCoder.urn, value: "kv")
        }
        self.init(keyCoder: key)
    }

    /// Key and value slices of one encoded KV, sharing its storage.
    public func split(_ element: ArraySlice<UInt8>) throws -> (key: ArraySlice<UInt8>, value: ArraySlice<UInt8>) {
        var reader = ByteReader(element)
        let key = try keyCoder.readEncoded(&reader)
        return (key, reader.readRemaining())
    }

    public func split(_ element: [UInt8]) throws -> (key: ArraySlice<UInt8>, value: ArraySlice<UInt8>) {
        try split(element[...])
    }
}
