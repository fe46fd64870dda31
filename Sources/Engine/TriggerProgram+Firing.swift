// The trigger state machine per node, after Java's TriggerStateMachine subclasses:
// `onElement` records an element, `shouldFire` asks, `onFire` commits a firing (and
// may finish nodes), `clear` drops a subtree's counts and deadlines (not its finished
// bits), `resetTree` also unfinishes it. Called by `TriggeredGroupByKey`.

/// What a trigger may look at besides its own state, for one window.
struct TriggerContext {
    /// The input watermark is past the window's max timestamp.
    var endOfWindowReached: Bool
    var processingTime: Int64
    /// Windows merge (sessions): early/late and AfterEach feed every subtrigger.
    var isMerging: Bool
}

extension TriggerProgram {
    func isClosed(_ state: TriggerState) -> Bool {
        state.isFinished(root)
    }

    func onElement(_ node: Int, _ state: inout TriggerState, _ context: TriggerContext) {
        let spec = nodes[node]
        switch spec.kind {
        case .default, .endOfWindow, .never:
            break
        case .earlyAndLate, .afterEach:
            if context.isMerging {
                // Any subtrigger may be revived by a merge, so all keep their state.
                for child in spec.children { onElement(child, &state, context) }
            } else if let child = firstUnfinished(spec.children, state) {
                onElement(child, &state, context)
            }
        case .afterCount, .always:
            state.values[spec.valueIndex] += 1
        case let .processingTime(transforms):
            // Only the pane's first element sets the deadline.
            if state.values[spec.valueIndex] == TriggerState.unset {
                state.values[spec.valueIndex] = transforms.reduce(context.processingTime) { $1.apply($0) }
            }
        case .repeatedly, .afterAny, .orFinally:
            for child in spec.children { onElement(child, &state, context) }
        case .afterAll:
            for child in spec.children where !state.isFinished(child) { onElement(child, &state, context) }
        }
    }

    func shouldFire(_ node: Int, _ state: TriggerState, _ context: TriggerContext) -> Bool {
        let spec = nodes[node]
        switch spec.kind {
        case .default, .endOfWindow:
            return context.endOfWindowReached
        case let .earlyAndLate(hasLate):
            let early = spec.children[0]
            if !state.isFinished(early) {
                return shouldFire(early, state, context) || context.endOfWindowReached
            }
            return hasLate && shouldFire(spec.children[1], state, context)
        case let .afterCount(count):
            return state.values[spec.valueIndex] >= count
        case .always:
            return state.values[spec.valueIndex] >= 1
        case .processingTime:
            let deadline = state.values[spec.valueIndex]
            return deadline != TriggerState.unset && context.processingTime >= deadline
        case .repeatedly:
            return shouldFire(spec.children[0], state, context)
        case .afterAll:
            return spec.children.allSatisfy { state.isFinished($0) || shouldFire($0, state, context) }
        case .afterAny:
            return spec.children.contains { state.isFinished($0) || shouldFire($0, state, context) }
        case .afterEach:
            return firstUnfinished(spec.children, state).map { shouldFire($0, state, context) } ?? false
        case .orFinally:
            return shouldFire(spec.children[0], state, context) || shouldFire(spec.children[1], state, context)
        case .never:
            return false
        }
    }

    func onFire(_ node: Int, _ state: inout TriggerState, _ context: TriggerContext) {
        let spec = nodes[node]
        switch spec.kind {
        case .default, .never:
            break
        case .endOfWindow:
            state.setFinished(node)
        case let .earlyAndLate(hasLate):
            let early = spec.children[0]
            if !state.isFinished(early) {
                if !context.endOfWindowReached {
                    // An early firing; the early trigger repeats.
                    onFire(early, &state, context)
                    resetTree(early, &state)
                } else {
                    // The on-time firing ends the early phase for good.
                    if shouldFire(early, state, context) { onFire(early, &state, context) }
                    clear(early, &state)
                    state.setFinished(early)
                    if hasLate {
                        resetTree(spec.children[1], &state)
                    } else {
                        state.setFinished(node)
                    }
                }
            } else if hasLate {
                // A late firing; the late trigger repeats.
                onFire(spec.children[1], &state, context)
                resetTree(spec.children[1], &state)
            } else {
                state.setFinished(node)
            }
        case .afterCount, .processingTime:
            clear(node, &state)
            state.setFinished(node)
        case .always:
            clear(node, &state)
        case .repeatedly:
            let child = spec.children[0]
            onFire(child, &state, context)
            if state.isFinished(child) { resetTree(child, &state) }
        case .afterAll:
            for child in spec.children { onFire(child, &state, context) }
            state.setFinished(node)
        case .afterAny:
            for child in spec.children {
                if shouldFire(child, state, context) {
                    onFire(child, &state, context)
                } else {
                    // Whatever pane it was tracking is gone with this firing.
                    clear(child, &state)
                }
            }
            state.setFinished(node)
        case .afterEach:
            if let child = firstUnfinished(spec.children, state) { onFire(child, &state, context) }
            if context.isMerging {
                for child in spec.children { clear(child, &state) }
            }
            state.setFinished(node, firstUnfinished(spec.children, state) == nil)
        case .orFinally:
            let (main, finally) = (spec.children[0], spec.children[1])
            if shouldFire(finally, state, context) {
                onFire(finally, &state, context)
                clear(main, &state)
            } else {
                onFire(main, &state, context)
            }
            state.setFinished(node, state.isFinished(main) || state.isFinished(finally))
        }
    }

    /// Drops the subtree's counts and deadlines; finished bits stay.
    func clear(_ node: Int, _ state: inout TriggerState) {
        let spec = nodes[node]
        if spec.valueIndex >= 0 {
            if case .processingTime = spec.kind {
                state.values[spec.valueIndex] = TriggerState.unset
            } else {
                state.values[spec.valueIndex] = 0
            }
        }
        for child in spec.children { clear(child, &state) }
    }

    /// `clear` plus unfinishing every node of the subtree: the subtree starts over.
    func resetTree(_ node: Int, _ state: inout TriggerState) {
        clear(node, &state)
        unfinish(node, &state)
    }

    /// The earliest pending processing-time deadline after `now`, if any (when the
    /// window next needs a look).
    func nextDeadline(_ state: TriggerState, after now: Int64) -> Int64? {
        guard usesProcessingTime else { return nil }
        var next: Int64?
        for node in nodes where node.valueIndex >= 0 {
            guard case .processingTime = node.kind else { continue }
            let deadline = state.values[node.valueIndex]
            if deadline != TriggerState.unset, deadline > now, deadline < (next ?? .max) { next = deadline }
        }
        return next
    }

    func firstUnfinished(_ children: [Int], _ state: TriggerState) -> Int? {
        children.first { !state.isFinished($0) }
    }

    private func unfinish(_ node: Int, _ state: inout TriggerState) {
        state.setFinished(node, false)
        for child in nodes[node].children { unfinish(child, &state) }
    }
}
