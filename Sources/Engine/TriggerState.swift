/// One window's progress through its `TriggerProgram`: which nodes have finished and
/// each counting or timing node's value (Java's finished bits plus trigger state cells).
///
/// Owned by the window's `KeyedWindowState`; changed only through `TriggerProgram`.
struct TriggerState: Sendable, Hashable, Codable {
    /// Marks a processing-time node that has no deadline yet.
    static let unset = Int64.min

    private var finishedBits: UInt64 = 0
    /// Element count (AfterCount, Always) or firing deadline (processing time) per valued node.
    var values: [Int64]

    init(values: [Int64]) {
        self.values = values
    }

    func isFinished(_ node: Int) -> Bool {
        finishedBits & (1 << UInt64(node)) != 0
    }

    mutating func setFinished(_ node: Int, _ finished: Bool = true) {
        if finished {
            finishedBits |= 1 << UInt64(node)
        } else {
            finishedBits &= ~(1 << UInt64(node))
        }
    }
}
