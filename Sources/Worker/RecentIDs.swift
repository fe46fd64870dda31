/// The most recent `capacity` ids, oldest forgotten first: remembers
/// finished instructions long enough to drop their late data without
/// growing for as long as a streaming job runs.
struct RecentIDs {
    private let capacity: Int
    private var members: Set<String> = []
    /// Insertion order; entries before `head` are forgotten.
    private var order: [String] = []
    private var head = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    func contains(_ id: String) -> Bool { members.contains(id) }

    mutating func insert(_ id: String) {
        guard members.insert(id).inserted else { return }
        order.append(id)
        if order.count - head > capacity {
            members.remove(order[head])
            head += 1
            if head >= capacity {
                order.removeFirst(head)
                head = 0
            }
        }
    }

    mutating func formUnion(_ ids: some Sequence<String>) {
        for id in ids { insert(id) }
    }
}
