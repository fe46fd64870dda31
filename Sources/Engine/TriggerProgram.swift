/// A `TriggerSpec` compiled into a flat tree of nodes that every window of one
/// GroupByKey runs against its own `TriggerState` (as Java's ExecutableTrigger).
///
/// Built once by `TriggeredGroupByKey.init`; its methods (in the +Firing and +Merging
/// extensions) follow Java's TriggerStateMachine classes node by node.
struct TriggerProgram: Sendable {
    enum Kind: Sendable {
        case `default`
        /// AfterWatermark.pastEndOfWindow() with neither early nor late firings.
        case endOfWindow
        /// AfterWatermark with early (child 0, `never` if absent) and optional late (child 1) firings.
        case earlyAndLate(hasLate: Bool)
        case afterCount(Int64)
        case processingTime([ProcessingTimeTransform])
        case repeatedly
        case afterAll
        case afterAny
        case afterEach
        /// main is child 0, finally child 1.
        case orFinally
        case never
        case always
    }

    struct Node: Sendable {
        var kind: Kind
        var children: [Int] = []
        /// Index into `TriggerState.values` for nodes that keep a count or a deadline.
        var valueIndex = -1
    }

    /// Finished bits live in one UInt64 per window.
    static let maxNodes = 64

    private(set) var nodes: [Node] = []
    /// The values of a fresh window: counts at 0, deadlines unset.
    private(set) var initialValues: [Int64] = []
    /// Whether any node keeps a processing-time deadline (so windows need wake-ups).
    private(set) var usesProcessingTime = false
    let root = 0

    init(_ spec: TriggerSpec) throws {
        _ = try add(spec)
        guard nodes.count <= Self.maxNodes else {
            throw EngineError.unsupported("triggers with more than \(Self.maxNodes) parts")
        }
    }

    /// A fresh state for a new window.
    func initialState() -> TriggerState {
        TriggerState(values: initialValues)
    }

    private mutating func add(_ spec: TriggerSpec) throws -> Int {
        let index = nodes.count
        nodes.append(Node(kind: .never))
        var node: Node
        switch spec {
        case .default:
            node = Node(kind: .default)
        case .afterEndOfWindow(nil, nil):
            node = Node(kind: .endOfWindow)
        case let .afterEndOfWindow(early, late):
            node = Node(kind: .earlyAndLate(hasLate: late != nil))
            node.children.append(try add(early ?? .never))
            if let late { node.children.append(try add(late)) }
        case let .afterCount(count):
            node = Node(kind: .afterCount(Int64(count)))
            node.valueIndex = newValue()
        case let .afterProcessingTime(transforms):
            node = Node(kind: .processingTime(transforms))
            node.valueIndex = newValue(TriggerState.unset)
            usesProcessingTime = true
        case .afterSynchronizedProcessingTime:
            node = Node(kind: .processingTime([]))
            node.valueIndex = newValue(TriggerState.unset)
            usesProcessingTime = true
        case let .repeatedly(sub):
            node = Node(kind: .repeatedly)
            node.children.append(try add(sub))
        case let .afterAll(subs), let .afterAny(subs), let .afterEach(subs):
            guard !subs.isEmpty else { throw EngineError.invalidInput("composite trigger without subtriggers: \(spec)") }
            switch spec {
            case .afterAll: node = Node(kind: .afterAll)
            case .afterAny: node = Node(kind: .afterAny)
            default: node = Node(kind: .afterEach)
            }
            for sub in subs { node.children.append(try add(sub)) }
        case let .orFinally(main, finally):
            node = Node(kind: .orFinally)
            node.children.append(try add(main))
            node.children.append(try add(finally))
        case .never:
            node = Node(kind: .never)
        case .always:
            node = Node(kind: .always)
            node.valueIndex = newValue()
        }
        nodes[index] = node
        return index
    }

    private mutating func newValue(_ initial: Int64 = 0) -> Int {
        initialValues.append(initial)
        return initialValues.count - 1
    }
}
