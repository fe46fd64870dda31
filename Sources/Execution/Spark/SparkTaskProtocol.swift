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

/// Reads the tasks' input frames from a file descriptor, buffered: per task
/// its segment, its side inputs whole, then its partition a piece at a time
/// (`SparkPartitionFeed`). One reader at a time.
final class SparkTaskInput {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    /// The current task's end frame has been read.
    private var taskEnded = true

    init(_ handle: FileHandle) { self.handle = handle }

    /// The segment of the next task; nil when the input has ended.
    func nextTask() throws -> Int? {
        guard hasMore() else { return nil }
        let type = try bytes(1).first!
        guard type == SparkTaskFrame.task else {
            throw ExecutionError("spark-stage: expected a task frame, got type \(type)")
        }
        taskEnded = false
        return Int(try length())
    }

    /// The task's side-input records (they come before its partition), values concatenated per tag.
    func readSideInputs() throws -> [String: [UInt8]] {
        var byTag: [String: [UInt8]] = [:]
        while try bytes(1, consuming: false).first == SparkTaskFrame.sideRecord {
            _ = try bytes(1)
            let (tag, value) = try tagAndValue()
            byTag[tag, default: []].append(contentsOf: value)
        }
        return byTag
    }

    /// The next records of the partition, about `limit` bytes of values,
    /// concatenated per tag; nil once the task's end frame has been read.
    func readPartition(upTo limit: Int) throws -> [(String, [UInt8])]? {
        guard !taskEnded else { return nil }
        var byTag: [String: [UInt8]] = [:]
        var read = 0
        while read < limit {
            let type = try bytes(1).first!
            if type == SparkTaskFrame.end {
                taskEnded = true
                break
            }
            guard type == SparkTaskFrame.record else {
                throw ExecutionError("spark-stage: unknown input frame type \(type)")
            }
            let (tag, value) = try tagAndValue()
            byTag[tag, default: []].append(contentsOf: value)
            read += value.count
        }
        return byTag.map { ($0.key, $0.value) }
    }

    private func tagAndValue() throws -> (String, ArraySlice<UInt8>) {
        let tag = String(decoding: try bytes(Int(try length())), as: UTF8.self)
        return (tag, try bytes(Int(try length())))
    }

    private func hasMore() -> Bool {
        if position < buffer.count { return true }
        let more = handle.availableData
        buffer = [UInt8](more)
        position = 0
        return !buffer.isEmpty
    }

    private func length() throws -> UInt32 {
        try bytes(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    private func bytes(_ count: Int, consuming: Bool = true) throws -> ArraySlice<UInt8> {
        while buffer.count - position < count {
            let more = handle.availableData  // what the pipe has now: the task never closes it
            guard !more.isEmpty else {
                throw ExecutionError("spark-stage: input ended without its end frame")
            }
            buffer.removeFirst(position)
            position = 0
            buffer.append(contentsOf: more)
        }
        defer { if consuming { position += count } }
        return buffer[position..<position + count]
    }
}

/// A task's partition as the scheduler's boundary feed: each read runs on a
/// queue of its own (reading the pipe blocks), about a megabyte at a time.
final class SparkPartitionFeed: PlanBoundaryFeed, @unchecked Sendable {
    // Unchecked: the scheduler never overlaps calls, and the executor reads the next task only after the run.
    private let input: SparkTaskInput
    private let queue = DispatchQueue(label: "beam-job-server.spark-task-input")
    static let piece = 1 << 20

    init(_ input: SparkTaskInput) { self.input = input }

    func next() async throws -> [(String, [UInt8])]? {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.input.readPartition(upTo: Self.piece) })
            }
        }
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
