import Foundation
import Synchronization

/// The frames a Spark task and its stage executor exchange on the
/// executor's stdin and stdout (see `beam_spark_driver.py`, the other end):
/// a type byte, then big-endian u32 lengths before every byte string.
///
/// In, per task: `4 segment` (a u32), `5 tag value` side-input records,
/// `1 tag value` records of the partition, `0` at the end; the executor
/// serves tasks until its stdin closes.
/// Out: `1 tag key value` records, `2 metrics` (a serialized MetricResults),
/// `3 importance text` job messages, `0` at the end of a successful run.
enum SparkTaskFrame {
    static let end: UInt8 = 0
    static let record: UInt8 = 1
    static let metrics: UInt8 = 2
    static let message: UInt8 = 3
    static let task: UInt8 = 4
    static let sideRecord: UInt8 = 5
}

/// A task's input: values concatenated per tag, the partition's apart from
/// the side inputs' (a PCollection can be both).
struct SparkTaskRecords {
    var partition: [String: [UInt8]] = [:]
    var sideInputs: [String: [UInt8]] = [:]
}

/// Reads the task's input frames from a file descriptor, buffered.
struct SparkTaskInput {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0

    init(_ handle: FileHandle) { self.handle = handle }

    /// The segment of the next task; nil when the input has ended.
    mutating func nextTask() throws -> Int? {
        guard hasMore() else { return nil }
        let type = try bytes(1).first!
        guard type == SparkTaskFrame.task else {
            throw ExecutionError("spark-stage: expected a task frame, got type \(type)")
        }
        return Int(try length())
    }

    /// Every record of the task up to its end frame.
    mutating func readRecords() throws -> SparkTaskRecords {
        var records = SparkTaskRecords()
        while true {
            let type = try bytes(1).first!
            if type == SparkTaskFrame.end { return records }
            guard type == SparkTaskFrame.record || type == SparkTaskFrame.sideRecord else {
                throw ExecutionError("spark-stage: unknown input frame type \(type)")
            }
            let tag = String(decoding: try bytes(Int(try length())), as: UTF8.self)
            let value = try bytes(Int(try length()))
            if type == SparkTaskFrame.record {
                records.partition[tag, default: []].append(contentsOf: value)
            } else {
                records.sideInputs[tag, default: []].append(contentsOf: value)
            }
        }
    }

    private mutating func hasMore() -> Bool {
        if position < buffer.count { return true }
        let more = handle.availableData
        buffer = [UInt8](more)
        position = 0
        return !buffer.isEmpty
    }

    private mutating func length() throws -> UInt32 {
        try bytes(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    private mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
        while buffer.count - position < count {
            let more = handle.availableData  // what the pipe has now: the task never closes it
            guard !more.isEmpty else {
                throw ExecutionError("spark-stage: input ended without its end frame")
            }
            buffer.removeFirst(position)
            position = 0
            buffer.append(contentsOf: more)
        }
        defer { position += count }
        return buffer[position..<position + count]
    }
}

/// Writes output frames to a file descriptor; one writer per process.
final class SparkTaskOutput: Sendable {
    private let handle: FileHandle
    private let lock = Mutex(())

    init(_ handle: FileHandle) { self.handle = handle }

    func record(tag: String, key: ArraySlice<UInt8>, value: ArraySlice<UInt8>) throws {
        var frame = [SparkTaskFrame.record]
        Self.append(Array(tag.utf8)[...], to: &frame)
        Self.append(key, to: &frame)
        Self.append(value, to: &frame)
        try write(frame)
    }

    func metrics(_ bytes: Data) throws {
        var frame = [SparkTaskFrame.metrics]
        Self.append([UInt8](bytes)[...], to: &frame)
        try write(frame)
    }

    func message(_ text: String, importance: UInt8) throws {
        var frame = [SparkTaskFrame.message, importance]
        Self.append(Array(text.utf8)[...], to: &frame)
        try write(frame)
    }

    func end() throws { try write([SparkTaskFrame.end]) }

    private func write(_ frame: [UInt8]) throws {
        try lock.withLock { _ in try handle.write(contentsOf: frame) }
    }

    private static func append(_ bytes: ArraySlice<UInt8>, to frame: inout [UInt8]) {
        let count = UInt32(bytes.count)
        frame += [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
        frame += bytes
    }
}
