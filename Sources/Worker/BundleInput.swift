/// Encoded elements for one runner source (`beam:runner:source:v1`) of a bundle,
/// in the source's wire coder (usually a windowed-value coder). Execution builds
/// these; `SDKWorker.processBundle` streams them to the harness and ends each
/// with `is_last`, empty or not.
///
/// SDKs decode every data-plane message on its own (the Python SDK does), so a
/// message must hold whole elements: built from `elements`, the input goes out
/// in batches of about 1 MiB cut between elements; built from `data` alone, it
/// goes out as one message.
public struct BundleInput: Sendable, Equatable {
    public var transformID: String
    /// The elements, concatenated.
    public var data: [UInt8]
    /// Where each element starts in `data`, when known.
    public var elementOffsets: [Int]?

    /// Input whose element boundaries are unknown: sent as a single message.
    public init(transformID: String, data: [UInt8]) {
        self.transformID = transformID
        self.data = data
        self.elementOffsets = nil
    }

    /// Input as separately encoded elements: sent in batches between elements.
    public init(transformID: String, elements: [[UInt8]]) {
        self.init(transformID: transformID, slices: elements.map { $0[...] })
    }

    /// Input as slices of separately encoded elements.
    public init(transformID: String, slices: [ArraySlice<UInt8>]) {
        self.transformID = transformID
        var data: [UInt8] = []
        data.reserveCapacity(slices.reduce(0) { $0 + $1.count })
        var offsets: [Int] = []
        offsets.reserveCapacity(slices.count)
        for slice in slices {
            offsets.append(data.count)
            data.append(contentsOf: slice)
        }
        self.data = data
        self.elementOffsets = offsets
    }

    /// Pieces of `data`, each cut at the first element boundary at or past
    /// `batchBytes`, so never splitting an element.
    func batches(of batchBytes: Int) -> [ArraySlice<UInt8>] {
        Self.batches(data, elementOffsets, batchBytes)
    }

    static func batches(_ data: [UInt8], _ offsets: [Int]?, _ batchBytes: Int) -> [ArraySlice<UInt8>] {
        guard !data.isEmpty else { return [] }
        guard let offsets, !offsets.isEmpty else { return [data[...]] }
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        for offset in offsets.dropFirst() where offset - start >= batchBytes {
            pieces.append(data[start..<offset])
            start = offset
        }
        pieces.append(data[start...])
        return pieces
    }
}

/// Encoded timers to deliver to one timer family of a transform in a bundle
/// (Beam's `Elements.Timers`), in the family's timer coder. As for
/// `BundleInput`, separately encoded timers are batched between timers.
public struct BundleTimerInput: Sendable, Equatable {
    public var key: BundleTimerKey
    public var data: [UInt8]
    public var timerOffsets: [Int]?

    /// Timers whose boundaries are unknown: sent as a single message.
    public init(transformID: String, timerFamilyID: String, data: [UInt8]) {
        self.key = BundleTimerKey(transformID: transformID, timerFamilyID: timerFamilyID)
        self.data = data
        self.timerOffsets = nil
    }

    /// Separately encoded timers: sent in batches between timers.
    public init(transformID: String, timerFamilyID: String, timers: [[UInt8]]) {
        let input = BundleInput(transformID: transformID, elements: timers)
        self.key = BundleTimerKey(transformID: transformID, timerFamilyID: timerFamilyID)
        self.data = input.data
        self.timerOffsets = input.elementOffsets
    }

    func batches(of batchBytes: Int) -> [ArraySlice<UInt8>] {
        BundleInput.batches(data, timerOffsets, batchBytes)
    }
}
