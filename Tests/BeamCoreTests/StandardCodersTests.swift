import BeamCore
import Testing
import Yams

/// Checks every coder the runner understands against Beam's standard_coders.yaml:
/// decode the example bytes, compare with the expected value, re-encode, compare bytes.
@Suite struct StandardCodersTests {
    /// Coders in the file that the runner deliberately treats as opaque. Anything else
    /// unsupported fails the test, so a new coder in Beam never passes unnoticed.
    static let knownUnsupported: Set<String> = [
        "beam:coder:row:v1",
        "beam:coder:sharded_key:v1",
        "beam:coder:state_backed_iterable:v1",
        "beam:coder:custom_window:v1",
    ]

    @Test func allSupportedCodersMatchTheStandardVectors() throws {
        let cases = try StandardCodersFile.load()
        var checkedExamples = 0
        var checkedURNs: Set<String> = []
        var skippedURNs: Set<String> = []
        for testCase in cases {
            let coder = try Self.coderSpec(testCase.coderNode)
            guard coder.isKnown else {
                skippedURNs.insert(coder.urn)
                #expect(Self.knownUnsupported.contains(coder.urn), "unexpected unsupported coder \(coder.urn)")
                continue
            }
            checkedURNs.insert(coder.urn)
            // `nested: false` cases run in the unnested context: we support it (length
            // prefixes need it), even though the data channel only uses nested.
            for nested in testCase.nested {
                for example in testCase.examples {
                    let where_ = "case \(testCase.index) \(coder.urn) nested=\(nested) bytes=\(hex(example.bytes))"
                    let expected = try Self.expectedValue(example.value, coder: coder)
                    let decoded = try coder.decode(example.bytes, nested: nested)
                    #expect(Self.same(decoded, expected), "\(where_)")
                    if !testCase.nonDeterministic {
                        // Only deterministic encodings must come back byte for byte.
                        #expect(try coder.encoded(expected, nested: nested) == example.bytes, "\(where_)")
                    }
                    if nested {
                        var reader = ByteReader(example.bytes)
                        try coder.skip(&reader)
                        #expect(reader.isAtEnd, "skip stops at the end: \(where_)")
                    }
                    checkedExamples += 1
                }
            }
        }
        #expect(skippedURNs == Self.knownUnsupported)
        #expect(checkedURNs == [
            CoderURNs.bytes, CoderURNs.stringUTF8, CoderURNs.varint, CoderURNs.bool, CoderURNs.double,
            CoderURNs.kv, CoderURNs.iterable, CoderURNs.globalWindow, CoderURNs.intervalWindow,
            CoderURNs.windowedValue, CoderURNs.paramWindowedValue, CoderURNs.timer, CoderURNs.nullable,
        ])
        #expect(checkedExamples > 60, "only \(checkedExamples) examples checked")
    }

    /// Equality where NaN matches NaN, as in Beam's own test.
    static func same(_ lhs: CoderValue, _ rhs: CoderValue) -> Bool {
        if case let .double(l) = lhs, case let .double(r) = rhs, l.isNaN, r.isNaN { return true }
        return lhs == rhs
    }

    // MARK: - Reading the YAML

    struct BadYAML: Error, CustomStringConvertible {
        let description: String
    }

    static func coderSpec(_ node: Node) throws -> CoderSpec {
        guard let urn = node["urn"]?.string else { throw BadYAML(description: "coder without urn") }
        let components = try (node["components"]?.array() ?? []).map(coderSpec)
        let payload = try StandardCodersFile.latin1(node["payload"]?.string ?? "")
        return CoderSpec.fromURN(urn, components: components, payload: payload)
    }

    /// Mirrors the value parsers of Beam's standard_coders_test.py.
    static func expectedValue(_ node: Node, coder: CoderSpec) throws -> CoderValue {
        func field(_ name: String) throws -> Node {
            guard let value = node[name] else { throw BadYAML(description: "missing \(name) in \(node)") }
            return value
        }
        func int(_ name: String) throws -> Int64 {
            guard let value = try field(name).int else { throw BadYAML(description: "\(name) is not an int") }
            return Int64(value)
        }
        func windows(_ window: CoderSpec) throws -> [BeamWindow] {
            try field("windows").array().map {
                guard case let .window(w) = try expectedValue($0, coder: window) else { throw BadYAML(description: "window") }
                return w
            }
        }
        func pane() throws -> PaneInfo {
            let pane = try field("pane")
            let timings: [String: PaneInfo.Timing] = ["EARLY": .early, "ON_TIME": .onTime, "LATE": .late, "UNKNOWN": .unknown]
            guard let first = pane["is_first"]?.bool, let last = pane["is_last"]?.bool,
                let timing = pane["timing"]?.string.flatMap({ timings[$0] }),
                let index = pane["index"]?.int, let onTime = pane["on_time_index"]?.int
            else { throw BadYAML(description: "pane \(pane)") }
            return PaneInfo(isFirst: first, isLast: last, timing: timing, index: Int64(index), nonSpeculativeIndex: Int64(onTime))
        }

        switch coder {
        case .bytes:
            return .bytes(Array((node.string ?? "").utf8))
        case .stringUTF8:
            return .string(node.string ?? "")
        case .varint:
            guard let value = node.int else { throw BadYAML(description: "varint \(node)") }
            return .int(Int64(value))
        case .bool:
            guard let value = node.bool else { throw BadYAML(description: "bool \(node)") }
            return .bool(value)
        case .double:
            guard let value = node.string.flatMap(Double.init) else { throw BadYAML(description: "double \(node)") }
            return .double(value)
        case let .kv(key, value):
            return .kv(try expectedValue(field("key"), coder: key), try expectedValue(field("value"), coder: value))
        case let .iterable(element):
            return .iterable(try node.array().map { try expectedValue($0, coder: element) })
        case .globalWindow:
            return .window(.global)
        case .intervalWindow:
            let end = try int("end")
            return .window(.interval(start: end - (try int("span")), end: end))
        case let .windowedValue(element, window), let .paramWindowedValue(element, window, _):
            return .windowedValue(DecodedWindowedValue(
                value: try expectedValue(field("value"), coder: element),
                timestamp: try int("timestamp"), windows: try windows(window), pane: try pane()))
        case let .timer(key, window):
            guard let clear = try field("clearBit").bool, let tag = try field("dynamicTimerTag").string else {
                throw BadYAML(description: "timer \(node)")
            }
            let firing = clear
                ? nil : DecodedTimer.Firing(fireTimestamp: try int("fireTimestamp"), holdTimestamp: try int("holdTimestamp"), pane: try pane())
            return .timer(DecodedTimer(
                userKey: try expectedValue(field("userKey"), coder: key), dynamicTimerTag: tag,
                windows: try windows(window), firing: firing))
        case let .nullable(inner):
            return node.null != nil ? .null : try expectedValue(node, coder: inner)
        case .lengthPrefix, .opaque:
            throw BadYAML(description: "no YAML value parser for \(coder.urn)")
        }
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
