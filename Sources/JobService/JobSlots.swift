/// `--max-concurrent-jobs`: at most `limit` jobs execute at once; the others
/// wait in Run order (still STARTING) for a slot. A waiter that is cancelled
/// (its job cancelled while queued) leaves the queue without taking a slot.
actor JobSlots {
    let limit: Int
    private var running = 0
    private var waiters: [(id: UInt64, resume: CheckedContinuation<Bool, Never>)] = []
    private var nextID: UInt64 = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Jobs waiting for a slot now.
    var queued: Int { waiters.count }

    /// Whether a slot is free without waiting.
    var hasFreeSlot: Bool { running < limit }

    /// Takes a slot, waiting for one; false if the task was cancelled first (no slot taken).
    func acquire() async -> Bool {
        if Task.isCancelled { return false }
        if running < limit {
            running += 1
            return true
        }
        nextID += 1
        let id = nextID
        return await withTaskCancellationHandler {
            await withCheckedContinuation { waiters.append((id, $0)) }
        } onCancel: {
            Task { await self.drop(id) }
        }
    }

    /// Gives a slot back: the longest waiter gets it.
    func release() {
        if waiters.isEmpty {
            running = max(0, running - 1)
        } else {
            waiters.removeFirst().resume.resume(returning: true)
        }
    }

    private func drop(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).resume.resume(returning: false)
    }
}
