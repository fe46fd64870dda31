import BeamCore

/// Encoded elements waiting for a bundle, in delivery order. Each chunk keeps
/// the hold it was delivered under (no element in it is earlier, unless
/// late), so the queue's hold is the minimum over what is left.
///
/// Owned by a `StageRuntime`; the scheduler takes bundle-sized pieces off its front.
struct PendingQueue {
    private struct Chunk {
        var bytes: [UInt8]
        let hold: Int64
    }

    private var chunks: [Chunk] = []
    /// Chunks before this index were taken; compacted once half the array is dead.
    private var head = 0
    private(set) var byteCount = 0
    private(set) var hold = BeamTime.maxTimestamp

    var isEmpty: Bool { byteCount == 0 }

    mutating func append(_ bytes: [UInt8], hold: Int64) {
        guard !bytes.isEmpty else { return }
        chunks.append(Chunk(bytes: bytes, hold: hold))
        byteCount += bytes.count
        self.hold = min(self.hold, hold)
    }

    /// Up to `maxElements` elements and about `maxBytes` bytes from the front
    /// (at least one element), cut between elements with `coder`; with an
    /// opaque coder whole chunks are taken. Returns the elements and the hold
    /// they were queued under.
    /// With `weight`, taking also stops once the taken elements weigh `maxWeight`.
    mutating func take(maxElements: Int, maxBytes: Int, coder: CoderSpec,
                       maxWeight: Double = .infinity, weight: ((ArraySlice<UInt8>) -> Double)? = nil)
        throws -> (elements: [ArraySlice<UInt8>], hold: Int64) {
        var taken: [ArraySlice<UInt8>] = []
        var takenBytes = 0
        var takenWeight = 0.0
        var takenHold = BeamTime.maxTimestamp
        while head < chunks.count, taken.count < maxElements, takenBytes < maxBytes, takenWeight < maxWeight {
            let chunk = chunks[head]
            takenHold = min(takenHold, chunk.hold)
            guard coder.isKnown else {
                taken.append(chunk.bytes[...])
                takenBytes += chunk.bytes.count
                head += 1
                continue
            }
            var reader = ByteReader(chunk.bytes)
            var cut = 0
            var full = false
            while !reader.isAtEnd, taken.count < maxElements, takenBytes < maxBytes, takenWeight < maxWeight {
                let element = try coder.readEncoded(&reader)
                let elementWeight = weight?(element) ?? 0
                // A weighed element that would overshoot waits for the next bundle (unless it is the first).
                if !taken.isEmpty && takenWeight + elementWeight > maxWeight {
                    full = true
                    break
                }
                taken.append(element)
                takenBytes += element.count
                takenWeight += elementWeight
                cut = reader.position
            }
            if cut == chunk.bytes.count {
                head += 1
            } else {
                chunks[head].bytes = Array(chunk.bytes[cut...])
            }
            if full { break }
        }
        byteCount -= takenBytes
        compact()
        return (taken, takenHold)
    }

    /// What is queued, chunk by chunk with its hold (for a checkpoint; `append` restores it).
    var queuedChunks: [(bytes: [UInt8], hold: Int64)] {
        chunks[head...].map { ($0.bytes, $0.hold) }
    }

    /// The summed `weight` of every queued element.
    func totalWeight(coder: CoderSpec, weight: (ArraySlice<UInt8>) -> Double) throws -> Double {
        var total = 0.0
        for chunk in chunks[head...] {
            var reader = ByteReader(chunk.bytes)
            while !reader.isAtEnd {
                total += weight(try coder.readEncoded(&reader))
            }
        }
        return total
    }

    /// Everything queued, emptying the queue.
    mutating func takeAll() -> [(bytes: [UInt8], hold: Int64)] {
        defer {
            chunks = []
            head = 0
            byteCount = 0
            hold = BeamTime.maxTimestamp
        }
        return chunks[head...].map { ($0.bytes, $0.hold) }
    }

    /// Reorders the queue so the elements `isReady` accepts come first (each
    /// keeping its chunk's hold); returns how many there are. With an opaque
    /// coder nothing can be inspected and none is ready.
    mutating func moveToFront(coder: CoderSpec, where isReady: (ArraySlice<UInt8>) throws -> Bool) throws -> Int {
        guard coder.isKnown, !isEmpty else { return 0 }
        var ready = ByteWriter()
        var readyHold = BeamTime.maxTimestamp
        var readyCount = 0
        var waiting: [(bytes: [UInt8], hold: Int64)] = []
        for chunk in takeAll() {
            var reader = ByteReader(chunk.bytes)
            var rest = ByteWriter()
            while !reader.isAtEnd {
                let element = try coder.readEncoded(&reader)
                if try isReady(element) {
                    ready.writeBytes(element)
                    readyHold = min(readyHold, chunk.hold)
                    readyCount += 1
                } else {
                    rest.writeBytes(element)
                }
            }
            waiting.append((rest.bytes, chunk.hold))
        }
        append(ready.bytes, hold: readyHold)
        for chunk in waiting { append(chunk.bytes, hold: chunk.hold) }
        return readyCount
    }

    private mutating func compact() {
        if head == chunks.count {
            chunks = []
            head = 0
        } else if head > 64 && head * 2 > chunks.count {
            chunks.removeFirst(head)
            head = 0
        }
        hold = chunks[head...].map(\.hold).min() ?? BeamTime.maxTimestamp
    }
}
