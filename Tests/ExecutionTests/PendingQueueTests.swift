import BeamCore
import Testing
@testable import Execution

@Suite struct PendingQueueTests {
    let coder = CoderSpec.windowedValue(element: .bytes, window: .globalWindow)

    private func elements(_ count: Int, size: Int) throws -> (bytes: [UInt8], starts: [Int]) {
        var writer = ByteWriter()
        var starts: [Int] = []
        for index in 0..<count {
            starts.append(writer.count)
            let value = CoderValue.windowedValue(DecodedWindowedValue(
                value: .bytes([UInt8](repeating: UInt8(index % 200), count: size)), timestamp: 0, windows: [.global], pane: .noFiring))
            try coder.encode(value, into: &writer)
        }
        return (writer.bytes, starts)
    }

    @Test func takesBoundedPiecesCutBetweenElements() throws {
        let (bytes, _) = try elements(100, size: 90)
        var queue = PendingQueue()
        queue.append(bytes, hold: 5)
        let first = try queue.take(maxElements: 30, maxBytes: .max, coder: coder)
        #expect(first.elements.count == 30)
        #expect(first.hold == 5)
        let second = try queue.take(maxElements: .max, maxBytes: 1_000, coder: coder)
        let size = bytes.count / 100
        #expect(second.elements.count == (1_000 + size - 1) / size, "stops at the first element reaching the byte bound")
        let rest = try queue.take(maxElements: .max, maxBytes: .max, coder: coder)
        #expect(first.elements.count + second.elements.count + rest.elements.count == 100)
        #expect(Array((first.elements + second.elements + rest.elements).joined()) == bytes)
        #expect(queue.isEmpty && queue.hold == BeamTime.maxTimestamp)
    }

    @Test func holdIsTheMinimumOfWhatIsLeft() throws {
        let (bytes, _) = try elements(2, size: 4)
        var queue = PendingQueue()
        queue.append(bytes, hold: 3)
        queue.append(bytes, hold: 7)
        #expect(queue.hold == 3)
        _ = try queue.take(maxElements: 2, maxBytes: .max, coder: coder)
        #expect(queue.hold == 7)
    }

    @Test func opaqueCodersTakeWholeChunks() throws {
        let opaque = CoderSpec.windowedValue(element: .opaque(urn: "x"), window: .globalWindow)
        var queue = PendingQueue()
        queue.append([1, 2, 3], hold: 0)
        queue.append([4, 5], hold: 0)
        let taken = try queue.take(maxElements: 1, maxBytes: .max, coder: opaque)
        #expect(taken.elements.map(Array.init) == [[1, 2, 3]])
        #expect(try queue.moveToFront(coder: opaque) { _ in true } == 0, "opaque elements cannot be inspected")
    }

    @Test func readyElementsMoveToTheFront() throws {
        let (bytes, starts) = try elements(10, size: 3)
        var queue = PendingQueue()
        queue.append(bytes, hold: 1)
        let ready = try queue.moveToFront(coder: coder) { element in element.last! % 2 == 1 }
        #expect(ready == 5)
        let taken = try queue.take(maxElements: ready, maxBytes: .max, coder: coder)
        let odd = starts.indices.filter { $0 % 2 == 1 }.map { index in
            Array(bytes[starts[index]..<(index + 1 < starts.count ? starts[index + 1] : bytes.count)])
        }
        #expect(taken.elements.map(Array.init) == odd)
        #expect(queue.byteCount == bytes.count - odd.joined().count)
    }
}

@Suite struct PendingQueueWeightTests {
    @Test func weighedElementsStopBeforeOvershooting() throws {
        let coder = CoderSpec.windowedValue(element: .varint, window: .globalWindow)
        var writer = ByteWriter()
        for weight in [10, 10, 30] {
            try coder.encode(.windowedValue(DecodedWindowedValue(value: .int(Int64(weight)), timestamp: 0,
                                                                 windows: [.global], pane: .noFiring)), into: &writer)
        }
        var queue = PendingQueue()
        queue.append(writer.bytes, hold: 0)
        let weight: (ArraySlice<UInt8>) -> Double = { Double($0.last!) }
        #expect(try queue.totalWeight(coder: coder, weight: weight) == 50)
        let first = try queue.take(maxElements: .max, maxBytes: .max, coder: coder, maxWeight: 25, weight: weight)
        #expect(first.elements.map { weight($0) } == [10, 10], "the 30 would overshoot a share of 25")
        let second = try queue.take(maxElements: .max, maxBytes: .max, coder: coder, maxWeight: 25, weight: weight)
        #expect(second.elements.map { weight($0) } == [30], "a bundle always takes at least one element")
        #expect(queue.isEmpty)
    }
}
