import BeamCore
import Engine

/// Drives a `TriggeredGroupByKey` the way Beam's trigger transcripts do
/// (apache_beam/testing/data/trigger_transcripts.yaml): every element is its own
/// timestamp, `input` is one bundle at the current watermark, `advance` moves the clocks.
struct TranscriptDriver {
    var gbk: TriggeredGroupByKey
    let windowFn: WindowFnSpec
    let windowCoder: CoderSpec
    var watermark = BeamTime.minTimestamp
    var clock: Int64 = 0

    /// Defaults as the transcript tests: accumulating, END_OF_WINDOW, no lateness.
    init(
        _ windowFn: WindowFnSpec, trigger: TriggerSpec = .default, accumulation: AccumulationMode = .accumulating,
        combiner: TimestampCombiner = .endOfWindow, lateness: Int64 = 0,
        closing: ClosingBehavior = .emitAlways, onTime: OnTimeBehavior = .fireAlways
    ) throws {
        self.windowFn = windowFn
        windowCoder = windowFn == .global ? .globalWindow : .intervalWindow
        let windowing = WindowingSpec(
            windowFn: windowFn, timestampCombiner: combiner, windowCoder: windowCoder, allowedLatenessMillis: lateness,
            trigger: trigger, accumulation: accumulation, closingBehavior: closing, onTimeBehavior: onTime)
        gbk = try TriggeredGroupByKey(keyCoder: Fixture.keyCoder, valueCoder: Fixture.valueCoder, windowing: windowing)
    }

    /// One bundle of elements whose values are their timestamps.
    mutating func input(_ timestamps: [Int64], key: String = "k") throws -> [Pane] {
        try input(timestamps.map { (timestamp: $0, value: $0) }, key: key)
    }

    mutating func input(_ values: [(timestamp: Int64, value: Int64)], key: String = "k") throws -> [Pane] {
        let elements = try values.map {
            Element(key: key, value: $0.value, timestamp: $0.timestamp, windows: try windowFn.assignWindows(timestamp: $0.timestamp))
        }
        let chunk = try Fixture.chunk(elements, windowCoder: windowCoder)
        return try panes(gbk.add(chunk[...], inputWatermark: watermark, processingTime: clock))
    }

    mutating func advance(watermark: Int64? = nil, clock: Int64? = nil) throws -> [Pane] {
        if let watermark { self.watermark = watermark }
        if let clock { self.clock = clock }
        return try panes(gbk.advance(inputWatermark: self.watermark, processingTime: self.clock))
    }

    func panes(_ output: [UInt8]) throws -> [Pane] {
        try Fixture.grouped(output, windowCoder: windowCoder).map {
            Pane(key: $0.key, window: $0.window, values: $0.values.sorted(), timestamp: $0.timestamp, pane: $0.pane)
        }
    }
}

/// One output pane, values sorted (transcripts compare them as multisets).
struct Pane: Equatable, CustomStringConvertible {
    var key = "k"
    var window: BeamWindow
    var values: [Int64]
    var timestamp: Int64
    var pane: PaneInfo

    init(key: String = "k", window: BeamWindow, values: [Int64], timestamp: Int64, pane: PaneInfo) {
        self.key = key
        self.window = window
        self.values = values
        self.timestamp = timestamp
        self.pane = pane
    }

    /// A pane of [start, end) stamped at its max timestamp.
    init(key: String = "k", _ start: Int64, _ end: Int64, _ values: [Int64], at timestamp: Int64? = nil, _ pane: PaneInfo) {
        self.init(key: key, window: .interval(start: start, end: end), values: values, timestamp: timestamp ?? end - 1, pane: pane)
    }

    var description: String { "\(key)\(values)@\(timestamp) in \(window) \(pane)" }
}

extension PaneInfo {
    static func early(_ index: Int64) -> PaneInfo {
        PaneInfo(isFirst: index == 0, isLast: false, timing: .early, index: index, nonSpeculativeIndex: -1)
    }

    static func onTime(_ index: Int64 = 0, nonSpeculative: Int64 = 0, last: Bool) -> PaneInfo {
        PaneInfo(isFirst: index == 0, isLast: last, timing: .onTime, index: index, nonSpeculativeIndex: nonSpeculative)
    }

    static func late(_ index: Int64, nonSpeculative: Int64, last: Bool = false) -> PaneInfo {
        PaneInfo(isFirst: index == 0, isLast: last, timing: .late, index: index, nonSpeculativeIndex: nonSpeculative)
    }
}
