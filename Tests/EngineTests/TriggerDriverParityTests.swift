import BeamCore
import Engine
import Testing

/// The `TriggerTest.test_*` cases of apache_beam/transforms/trigger_test.py (Python's
/// GeneralTriggerDriver): elements in bundles of the given sizes (negative: reversed)
/// at watermark -inf, then every end-of-window timer, then late bundles; unbounded
/// allowed lateness, so nothing is garbage collected. Panes compare as sets per window.
@Suite struct TriggerDriverParityTests {
    typealias Expected = [BeamWindow: [Set<Character>]]

    func run(
        _ windowFn: WindowFnSpec, _ trigger: TriggerSpec, _ accumulation: AccumulationMode,
        _ data: [(Int64, Character)], _ expected: Expected, groupings: [Int], late: [(Int64, Character)] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for size in groupings {
            var driver = try TranscriptDriver(
                windowFn, trigger: trigger, accumulation: accumulation, lateness: BeamTime.maxTimestamp)
            var actual: Expected = [:]
            func record(_ panes: [Pane]) {
                for pane in panes {
                    actual[pane.window, default: []].append(Set(pane.values.map { Character(UnicodeScalar(UInt8($0))) }))
                }
            }
            for bundle in bundles(data, size) { record(try driver.input(bundle)) }
            record(try driver.advance(watermark: BeamTime.globalWindowMaxTimestamp))
            for bundle in bundles(late, size) { record(try driver.input(bundle)) }
            #expect(actual == expected, "bundles of \(size)", sourceLocation: sourceLocation)
        }
    }

    /// Elements as (timestamp, letter): the value is the letter's code.
    private func bundles(_ data: [(Int64, Character)], _ size: Int) -> [[(timestamp: Int64, value: Int64)]] {
        let ordered = size < 0 ? Array(data.reversed()) : data
        let elements = ordered.map { (timestamp: $0.0, value: Int64($0.1.asciiValue!)) }
        return stride(from: 0, to: elements.count, by: abs(size)).map {
            Array(elements[$0..<min($0 + abs(size), elements.count)])
        }
    }

    func data(_ timestamps: ClosedRange<Int64>, _ letters: String) -> [(Int64, Character)] {
        Array(zip(timestamps, letters))
    }

    let fixed10 = WindowFnSpec.fixed(sizeMillis: 10, offsetMillis: 0)
    let fixed100 = WindowFnSpec.fixed(sizeMillis: 100, offsetMillis: 0)
    let sessions10 = WindowFnSpec.sessions(gapMillis: 10)
    let watermark = TriggerSpec.afterEndOfWindow(early: nil, late: nil)

    func window(_ start: Int64, _ end: Int64) -> BeamWindow { .interval(start: start, end: end) }

    @Test func fixedWatermark() throws {
        try run(fixed10, watermark, .accumulating, [(1, "a"), (2, "b"), (13, "c")],
                [window(0, 10): [["a", "b"]], window(10, 20): [["c"]]], groupings: [1, 2, 3, -3, -2, -1])
    }

    @Test func fixedWatermarkWithEarly() throws {
        let trigger = TriggerSpec.afterEndOfWindow(early: .afterCount(2), late: nil)
        let data: [(Int64, Character)] = [(1, "a"), (2, "b"), (3, "c")]
        try run(fixed10, trigger, .accumulating, data, [window(0, 10): [["a", "b"], ["a", "b", "c"]]], groupings: [2])
        try run(fixed10, trigger, .accumulating, data, [window(0, 10): [["a", "b", "c"], ["a", "b", "c"]]], groupings: [3])
    }

    @Test func fixedWatermarkWithEarlyLate() throws {
        try run(fixed100, .afterEndOfWindow(early: .afterCount(3), late: .afterCount(2)), .discarding,
                data(0...8, "abcdefghi"),
                [window(0, 100): [["a", "b", "c", "d"], ["e", "f", "g", "h"], ["i"], ["v", "w"], ["x", "y"]]],
                groupings: [2], late: data(0...4, "vwxyz"))
    }

    @Test func sessionsWatermarkWithEarlyLate() throws {
        try run(sessions10, .afterEndOfWindow(early: .afterCount(2), late: .afterCount(1)), .accumulating,
                [(1, "a"), (15, "b"), (7, "c"), (30, "d")],
                [
                    window(1, 25): [["a", "b", "c"], ["a", "b", "c"], ["a", "b", "c", "x", "y"]],
                    window(30, 40): [["d"]],
                    window(1, 40): [["a", "b", "c", "d", "x", "y", "z"]],
                ],
                groupings: [2], late: [(1, "x"), (2, "y"), (21, "z")])
    }

    @Test func fixedAfterCount() throws {
        let data: [(Int64, Character)] = [(1, "a"), (2, "b"), (3, "c"), (11, "z")]
        try run(fixed10, .afterCount(2), .accumulating, data, [window(0, 10): [["a", "b"]]], groupings: [1, 2])
        try run(fixed10, .afterCount(2), .accumulating, data, [window(0, 10): [["a", "b", "c"]]], groupings: [3, 4])
    }

    @Test func fixedAfterFirst() throws {
        let data: [(Int64, Character)] = [(1, "a"), (2, "b"), (3, "c")]
        try run(fixed10, .afterAny([.afterCount(2), watermark]), .accumulating, data,
                [window(0, 10): [["a", "b"]]], groupings: [1, 2])
        try run(fixed10, .afterAny([.afterCount(5), watermark]), .accumulating, data,
                [window(0, 10): [["a", "b", "c"]]], groupings: [1, 2], late: [(1, "x"), (2, "y"), (3, "z")])
    }

    @Test func repeatedlyAfterFirst() throws {
        let panes: [Set<Character>] = ["abc", "abcdef", "abcdefg", "abcdefgx", "abcdefgxy", "abcdefgxyz"].map { Set($0) }
        try run(fixed100, .repeatedly(.afterAny([.afterCount(3), watermark])), .accumulating, data(0...6, "abcdefg"),
                [window(0, 100): panes], groupings: [1], late: data(0...2, "xyz"))
    }

    @Test func sessionsAfterAll() throws {
        let data: [(Int64, Character)] = [(1, "a"), (2, "b"), (3, "c")]
        try run(sessions10, .afterAll([.afterCount(2), watermark]), .accumulating, data,
                [window(1, 13): [["a", "b", "c"]]], groupings: [1, 2])
        try run(sessions10, .afterAll([.afterCount(5), watermark]), .accumulating, data,
                [window(1, 13): [["a", "b", "c", "x", "y"]]], groupings: [1, 2], late: [(1, "x"), (2, "y"), (3, "z")])
    }

    @Test func sessionsDefaultAndWatermark() throws {
        try run(sessions10, .default, .accumulating, [(1, "a"), (2, "b")], [window(1, 12): [["a", "b"]]],
                groupings: [1, 2, -2, -1])
        try run(sessions10, watermark, .accumulating,
                [(1, "a"), (2, "b"), (15, "c"), (16, "d"), (30, "z"), (9, "e"), (10, "f"), (30, "y")],
                [window(1, 26): [Set("abcdef")], window(30, 40): [["y", "z"]]],
                groupings: [1, 2, 3, 4, 5, 6, -4, -2, -1])
    }

    @Test func sessionsAfterCount() throws {
        try run(sessions10, .afterCount(2), .accumulating,
                [(1, "a"), (15, "b"), (6, "c"), (30, "s"), (31, "t"), (50, "z"), (50, "y")],
                [window(1, 25): [["a", "b", "c"]], window(30, 41): [["s", "t"]], window(50, 60): [["y", "z"]]],
                groupings: [1, 2, 3])
    }

    @Test func sessionsRepeatedlyAfterCount() throws {
        let data: [(Int64, Character)] = [(1, "a"), (15, "b"), (6, "c"), (2, "d"), (7, "e")]
        try run(sessions10, .repeatedly(.afterCount(2)), .accumulating, data,
                [window(1, 25): [["a", "b", "c"], Set("abcde")]], groupings: [1, 3])
        try run(sessions10, .repeatedly(.afterCount(2)), .discarding, data,
                [window(1, 25): [["a", "b", "c"], ["d", "e"]]], groupings: [1, 3])
    }

    @Test func sessionsAfterEach() throws {
        let data = data(0...9, "abcdefghij")
        try run(sessions10, .afterEach([.afterCount(2), .afterCount(3)]), .accumulating, data,
                [window(0, 11): [["a", "b"]], window(0, 15): [Set("abcdef")]], groupings: [2])
        try run(sessions10, .repeatedly(.afterEach([.afterCount(2), .afterCount(3)])), .accumulating, data,
                [window(0, 11): [["a", "b"]], window(0, 15): [Set("abcdef")], window(0, 17): [Set("abcdefgh")]],
                groupings: [2])
    }
}
