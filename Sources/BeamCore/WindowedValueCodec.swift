/// Splits chunks of concatenated windowed values into `EncodedWindowedValue`s and
/// writes them back, never decoding the elements themselves.
///
/// Used by the worker on data-channel payloads and by the engine on stage
/// outputs. Handles both windowed_value (metadata on the wire) and
/// param_windowed_value (metadata fixed by the coder, only elements on the wire).
public struct WindowedValueCodec: Sendable {
    public let elementCoder: CoderSpec
    public let windowCoder: CoderSpec
    /// Set for param_windowed_value: the metadata every element gets.
    private let fixedHeader: WindowedValueHeader?

    /// A windowed_value(element, window) codec.
    public init(elementCoder: CoderSpec, windowCoder: CoderSpec) {
        self.init(elementCoder: elementCoder, windowCoder: windowCoder, fixedHeader: nil)
    }

    private init(elementCoder: CoderSpec, windowCoder: CoderSpec, fixedHeader: WindowedValueHeader?) {
        self.elementCoder = elementCoder
        self.windowCoder = windowCoder
        self.fixedHeader = fixedHeader
    }

    /// A codec for a windowed_value or param_windowed_value coder.
    public init(_ coder: CoderSpec) throws {
        switch coder {
        case let .windowedValue(element, window):
            self.init(elementCoder: element, windowCoder: window)
        case let .paramWindowedValue(element, window, payload):
            let header = try WindowedValueHeader.fromPayload(payload, windowCoder: window)
            self.init(elementCoder: element, windowCoder: window, fixedHeader: header)
        default:
            throw CoderError.valueMismatch(coder: coder.urn, value: "windowed value")
        }
    }

    /// Reads one windowed value; the element slice shares the reader's storage.
    public func read(_ reader: inout ByteReader) throws -> EncodedWindowedValue {
        let header = try fixedHeader ?? WindowedValueHeader.read(&reader, windowCoder: windowCoder)
        let element = try elementCoder.readEncoded(&reader)
        return EncodedWindowedValue(timestamp: header.timestamp, windows: header.windows, pane: header.pane, element: element)
    }

    /// Calls `body` for each windowed value in `chunk`, without collecting them.
    public func forEach(in chunk: ArraySlice<UInt8>, _ body: (EncodedWindowedValue) throws -> Void) throws {
        var reader = ByteReader(chunk)
        while !reader.isAtEnd {
            try body(try read(&reader))
        }
    }

    /// All windowed values in a chunk of concatenated encodings.
    public func split(_ chunk: [UInt8]) throws -> [EncodedWindowedValue] {
        var values: [EncodedWindowedValue] = []
        try forEach(in: chunk[...]) { values.append($0) }
        return values
    }

    public func encode(_ value: EncodedWindowedValue, into writer: inout ByteWriter) throws {
        try writeHeader(timestamp: value.timestamp, windows: value.windows, pane: value.pane, into: &writer)
        writer.writeBytes(value.element)
    }

    /// Writes the metadata in front of an element; the caller appends the element's
    /// nested bytes itself (so grouped output is assembled without a copy).
    /// Writes nothing for param_windowed_value.
    public func writeHeader(timestamp: Int64, windows: [BeamWindow], pane: PaneInfo, into writer: inout ByteWriter) throws {
        guard fixedHeader == nil else { return }
        try WindowedValueHeader.write(
            timestamp: timestamp, windows: windows, pane: pane, windowCoder: windowCoder, into: &writer)
    }

    /// Same as `writeHeader` for a value in a single window.
    public func writeHeader(timestamp: Int64, window: BeamWindow, pane: PaneInfo, into writer: inout ByteWriter) throws {
        guard fixedHeader == nil else { return }
        writer.writeTimestamp(timestamp)
        writer.writeBigEndianInt32(1)
        try windowCoder.encodeWindow(window, into: &writer)
        pane.encode(into: &writer)
    }
}
