import BeamCore
import Engine

/// Builds encoded GroupByKey inputs and reads grouped outputs back, for the engine tests.
struct Element {
    var key: String
    var value: Int64
    var timestamp: Int64
    var windows: [BeamWindow]
}

struct Grouped: Equatable, CustomStringConvertible {
    var key: String
    var values: [Int64]
    var timestamp: Int64
    var window: BeamWindow
    var pane: PaneInfo = .onTimeOnly

    var description: String { "\(key)\(values)@\(timestamp) in \(window) \(pane)" }
}

enum Fixture {
    static let keyCoder = CoderSpec.stringUTF8
    static let valueCoder = CoderSpec.varint
    /// An SDK window coder the runner cannot decode, length-prefixed: windows are opaque bytes.
    static let opaqueWindowCoder = CoderSpec.lengthPrefix(.opaque(urn: "beam:coders:python:pickle"))
    /// An SDK-defined WindowFn: the SDK assigns (and merges) its windows.
    static let customWindowFn = WindowFnSpec.custom(urn: "beam:window_fn:pickled_python:v1", payload: [])
    /// Three elements of key "k" in two opaque windows (values 1 and 3 share the first).
    static func opaqueWindowInput() throws -> (input: [UInt8], first: BeamWindow, second: BeamWindow) {
        let (first, second) = (BeamWindow.opaque([1, 0xA1]), BeamWindow.opaque([1, 0xA2]))
        let input = try chunk([
            Element(key: "k", value: 1, timestamp: 3, windows: [first]),
            Element(key: "k", value: 2, timestamp: 4, windows: [second]),
            Element(key: "k", value: 3, timestamp: 1, windows: [first]),
        ], windowCoder: opaqueWindowCoder)
        return (input, first, second)
    }

    static func chunk(_ elements: [Element], windowCoder: CoderSpec) throws -> [UInt8] {
        let coder = CoderSpec.windowedValue(element: .kv(keyCoder, valueCoder), window: windowCoder)
        var writer = ByteWriter()
        for element in elements {
            try coder.encode(
                .windowedValue(DecodedWindowedValue(
                    value: .kv(.string(element.key), .int(element.value)), timestamp: element.timestamp,
                    windows: element.windows, pane: .noFiring)),
                into: &writer)
        }
        return writer.bytes
    }

    static func grouped(_ output: [UInt8], windowCoder: CoderSpec) throws -> [Grouped] {
        let coder = CoderSpec.windowedValue(element: .kv(keyCoder, .iterable(valueCoder)), window: windowCoder)
        var reader = ByteReader(output)
        var result: [Grouped] = []
        while !reader.isAtEnd {
            guard case let .windowedValue(windowed) = try coder.decode(&reader),
                case let .kv(.string(key), .iterable(values)) = windowed.value,
                windowed.windows.count == 1
            else { throw EngineError.invalidInput("unexpected output shape") }
            let ints = values.compactMap { value -> Int64? in
                if case let .int(int) = value { return int }
                return nil
            }
            result.append(Grouped(
                key: key, values: ints, timestamp: windowed.timestamp, window: windowed.windows[0], pane: windowed.pane))
        }
        return result
    }

    /// Assigns windows with `windowFn`, groups, and decodes the result.
    static func group(
        _ elements: [(key: String, value: Int64, timestamp: Int64)], windowFn: WindowFnSpec,
        combiner: TimestampCombiner = .endOfWindow, chunkSize: Int = 2
    ) throws -> [Grouped] {
        let windowCoder: CoderSpec = windowFn == .global ? .globalWindow : .intervalWindow
        let windowed = try elements.map {
            Element(key: $0.key, value: $0.value, timestamp: $0.timestamp, windows: try windowFn.assignWindows(timestamp: $0.timestamp))
        }
        let chunks = try stride(from: 0, to: windowed.count, by: chunkSize).map {
            try chunk(Array(windowed[$0..<min($0 + chunkSize, windowed.count)]), windowCoder: windowCoder)
        }
        let windowing = WindowingSpec(windowFn: windowFn, timestampCombiner: combiner, windowCoder: windowCoder)
        let output = try GroupByKey.run(input: chunks, keyCoder: keyCoder, valueCoder: valueCoder, windowing: windowing)
        return try grouped(output, windowCoder: windowCoder)
    }
}

func bytes(fromHex hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return result
}
