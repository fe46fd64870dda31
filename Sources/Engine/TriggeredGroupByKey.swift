import BeamCore

/// One GroupByKey step's buffered state, fired by its trigger as the input watermark and processing time advance.
///
/// Execution feeds it the GBK's input chunks (`add`) and moves its clocks (`advance`);
/// it answers with grouped panes, windowed_value(kv(K, iterable(V)), W) with Beam's
/// PaneInfo, and with the `hold` that bounds the GBK's output watermark. Semantics are
/// Java's ReduceFnRunner: late data dropped past the allowed lateness, triggers per
/// (key, window), panes discarding or accumulating, element and garbage-collection
/// watermark holds, sessions merged per key as elements arrive. Keys and windows are
/// compared by their encoded bytes. Output comes ordered by window end, then key first
/// appearance.
public struct TriggeredGroupByKey: Sendable {
    let codec: WindowedValueCodec
    let splitter: KVSplitter
    let windowing: WindowingSpec
    let program: TriggerProgram

    var keys = KeyRegistry()
    var table: WindowTable
    var eventWakes = SlotHeap()
    var processingWakes = SlotHeap()
    var holds = SlotHeap()
    var inputWatermark = BeamTime.minTimestamp
    var processingTime = Int64.min
    /// The output watermark as of the end of the previous call (Java's lagging
    /// currentOutputWatermarkTime): decides which holds are still possible and which panes are late.
    var outputWatermark = BeamTime.minTimestamp

    /// Keys with windows not yet merged by the SDK (custom merging WindowFns).
    var unmergedKeys = Set<Int>()

    /// Number of elements dropped as too late so far.
    public internal(set) var droppedLateElements = 0

    public init(keyCoder: CoderSpec, valueCoder: CoderSpec, windowing: WindowingSpec) throws {
        codec = WindowedValueCodec(elementCoder: .kv(keyCoder, valueCoder), windowCoder: windowing.windowCoder)
        splitter = KVSplitter(keyCoder: keyCoder)
        self.windowing = windowing
        program = try TriggerProgram(windowing.trigger)
        table = WindowTable(tracksKeys: windowing.needsMerge)
    }

    /// The earliest timestamp a future output pane may carry (BeamTime.maxTimestamp when nothing can fire). The engine's output watermark for this GBK is min(input watermark, hold).
    public var hold: Int64 {
        holds.top?.time ?? BeamTime.maxTimestamp
    }

    /// The earliest processing time at which a processing-time trigger may fire, if any (so the scheduler can wake up).
    public var nextProcessingTimeDeadline: Int64? {
        processingWakes.top?.time
    }

    /// Buffers encoded windowed_value(kv(K,V), W) elements (concatenated nested encodings) that arrived while the
    /// GBK's input watermark was `inputWatermark`. Returns panes fired by data-driven triggers (AfterCount, Always, early/late count...).
    public mutating func add(_ chunk: ArraySlice<UInt8>, inputWatermark: Int64, processingTime: Int64) throws -> [UInt8] {
        observe(inputWatermark: inputWatermark, processingTime: processingTime)
        let codec = self.codec
        let splitter = self.splitter
        var touched = Set<Int>()
        try codec.forEach(in: chunk) { value in
            let (key, element) = try splitter.split(value.element)
            for window in value.windows {
                guard !isDue(KeyedWindowState.garbageCollectionTime(
                    maxTimestamp: window.maxTimestamp, allowedLateness: windowing.allowedLatenessMillis))
                else {
                    droppedLateElements += 1
                    continue
                }
                let target = try mergesInEngine ? sessionSlot(key: key, window: window) : plainSlot(key: key, window: window)
                guard let slot = target else { continue }  // the window's trigger has finished
                if mergesInSDK { unmergedKeys.insert(table[slot].key) }
                try addElement(element, timestamp: value.timestamp, to: slot)
                touched.insert(slot)
            }
        }
        // As Java, triggers are asked once the whole bundle is in.
        var writer = ByteWriter()
        // Slots merged away in the bundle are gone (a reused slot is a window of the bundle too).
        let live = touched.filter { table.isLive($0) }
        // Windows the SDK has yet to merge are not asked: the scheduler merges before `advance`.
        for slot in ordered(live) where !mergesInSDK && !table[slot].isClosed && shouldFire(slot) {
            try emit(slot, into: &writer)
        }
        finishCall()
        return writer.bytes
    }

    /// Advances the input watermark and processing time: fires on-time / late / processing-time panes that are due,
    /// garbage-collects windows whose max timestamp + allowed lateness is behind the watermark (with the final pane if the closing behavior asks).
    public mutating func advance(inputWatermark: Int64, processingTime: Int64) throws -> [UInt8] {
        observe(inputWatermark: inputWatermark, processingTime: processingTime)
        var due = Set<Int>()
        while let top = eventWakes.top, isDue(top.time) {
            eventWakes.pop()
            guard table.isLive(top.slot, generation: top.generation), table[top.slot].eventWake == top.time else { continue }
            table[top.slot].eventWake = nil  // consumed; re-armed below
            due.insert(top.slot)
        }
        while let top = processingWakes.top, top.time <= self.processingTime {
            processingWakes.pop()
            guard table.isLive(top.slot, generation: top.generation), table[top.slot].processingWake == top.time else { continue }
            table[top.slot].processingWake = nil
            due.insert(top.slot)
        }
        var writer = ByteWriter()
        for slot in ordered(due) {
            if isDue(table[slot].gcTime) {
                // Past the allowed lateness: the final pane (if any), then the window goes.
                if !table[slot].isClosed { try onTrigger(slot, isFinished: true, into: &writer) }
                removeWindow(slot)
                continue
            }
            if !table[slot].isClosed && shouldFire(slot) {
                try emit(slot, into: &writer)
            }
            if table[slot].eventWake == nil { setEventWake(slot, table[slot].gcTime) }
            updateProcessingWake(slot)
        }
        finishCall()
        return writer.bytes
    }

    // MARK: - Clocks and windows

    /// Sessions merge here; any other merging WindowFn is merged by its SDK.
    var mergesInEngine: Bool {
        guard windowing.needsMerge else { return false }
        if case .custom = windowing.windowFn { return false }
        return true
    }

    var mergesInSDK: Bool { windowing.needsMerge && !mergesInEngine }

    mutating func observe(inputWatermark: Int64, processingTime: Int64) {
        self.inputWatermark = max(self.inputWatermark, inputWatermark)
        self.processingTime = max(self.processingTime, processingTime)
    }

    /// Whether the input watermark has passed `time` (an event-time timer at `time` fires).
    /// At +inf everything is due.
    func isDue(_ time: Int64) -> Bool {
        inputWatermark > time || inputWatermark >= BeamTime.maxTimestamp
    }

    func context(_ slot: Int) -> TriggerContext {
        TriggerContext(
            endOfWindowReached: isDue(table[slot].endOfWindow), processingTime: processingTime,
            isMerging: windowing.needsMerge)
    }

    func shouldFire(_ slot: Int) -> Bool {
        program.shouldFire(program.root, table[slot].trigger, context(slot))
    }

    /// The window an element goes to without merging; nil if its trigger has finished.
    mutating func plainSlot(key: ArraySlice<UInt8>, window: BeamWindow) -> Int? {
        if let keyIndex = keys.index(of: key), let slot = table.slot(key: keyIndex, window: window) {
            return table[slot].isClosed ? nil : slot
        }
        return newWindow(keyIndex: keys.retain(key), window: window)
    }

    /// Registers an empty window for a key already retained for it.
    mutating func newWindow(keyIndex: Int, window: BeamWindow, trigger: TriggerState? = nil) -> Int {
        let state = KeyedWindowState(
            key: keyIndex, keySequence: keys.sequence(keyIndex), window: window, sequence: table.takeSequence(),
            allowedLateness: windowing.allowedLatenessMillis, trigger: trigger ?? program.initialState())
        return table.insert(state)
    }

    mutating func removeWindow(_ slot: Int) {
        let state = table.remove(slot)
        keys.release(state.key)
    }

    private mutating func addElement(_ value: ArraySlice<UInt8>, timestamp: Int64, to slot: Int) throws {
        table[slot].newElements += 1
        table[slot].valueCount += 1
        value.withUnsafeBufferPointer { table[slot].values.append(contentsOf: $0) }
        // The end-of-window timer, or the garbage-collection timer once the end has passed.
        let endOfWindow = table[slot].endOfWindow
        setEventWake(slot, isDue(endOfWindow) ? table[slot].gcTime : endOfWindow)
        let previousHold = table[slot].hold
        if let hold = try elementHold(timestamp, slot) {
            table[slot].elementHold = combineHolds(table[slot].elementHold, hold)
        } else {
            addGarbageCollectionHold(slot, paneIsEmpty: false)
        }
        pushHold(slot, previous: previousHold)
        let context = context(slot)
        program.onElement(program.root, &table[slot].trigger, context)
        updateProcessingWake(slot)
    }

    /// Output order: window end, key first appearance, window creation.
    private func ordered(_ slots: Set<Int>) -> [Int] {
        slots.map { (table[$0].order, $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    // MARK: - Wake-ups

    /// Keeps the earlier of the pending timer and `time` (Java re-sets it per element).
    mutating func setEventWake(_ slot: Int, _ time: Int64) {
        if let pending = table[slot].eventWake, pending <= time { return }
        table[slot].eventWake = time
        eventWakes.push(SlotHeap.Entry(time: time, slot: slot, generation: table.generations[slot]))
    }

    mutating func updateProcessingWake(_ slot: Int) {
        let next = program.nextDeadline(table[slot].trigger, after: processingTime)
        guard next != table[slot].processingWake else { return }
        table[slot].processingWake = next
        if let next {
            processingWakes.push(SlotHeap.Entry(time: next, slot: slot, generation: table.generations[slot]))
        }
    }

    /// Records the window's hold in the heap if it moved from `previous`.
    mutating func pushHold(_ slot: Int, previous: Int64?) {
        guard let hold = table[slot].hold, hold != previous else { return }
        holds.push(SlotHeap.Entry(time: hold, slot: slot, generation: table.generations[slot]))
    }

    /// Drops stale heap tops (so `hold` and the deadline are exact), compacts heaps full
    /// of stale entries, and moves the output watermark.
    private mutating func finishCall() {
        let table = self.table
        Self.clean(&eventWakes, table) { table[$0.slot].eventWake == $0.time }
        Self.clean(&processingWakes, table) { table[$0.slot].processingWake == $0.time }
        Self.clean(&holds, table) { table[$0.slot].hold == $0.time }
        outputWatermark = max(outputWatermark, min(inputWatermark, hold))
    }

    private static func clean(_ heap: inout SlotHeap, _ table: WindowTable, _ isCurrent: (SlotHeap.Entry) -> Bool) {
        func isLive(_ entry: SlotHeap.Entry) -> Bool {
            table.isLive(entry.slot, generation: entry.generation) && isCurrent(entry)
        }
        if heap.count > 2 * table.liveCount + 64 { heap.compact(isLive) }
        while let top = heap.top, !isLive(top) { heap.pop() }
    }
}
