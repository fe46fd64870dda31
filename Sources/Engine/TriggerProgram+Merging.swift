// Trigger state of merged windows (sessions), after Java's TriggerStateMachine.onMerge:
// counts add up, deadlines take the earliest, and a node is finished in the merged
// window only where Beam says it stays finished. Called by `TriggeredGroupByKey` when a
// new element's window bridges open windows of its key.

extension TriggerProgram {
    /// The trigger state of a window merged from `sources` (the open windows it replaces).
    func merged(_ sources: [TriggerState], _ context: TriggerContext) -> TriggerState {
        var state = initialState()
        onMerge(root, &state, sources, context)
        return state
    }

    private func onMerge(_ node: Int, _ state: inout TriggerState, _ sources: [TriggerState], _ context: TriggerContext) {
        let spec = nodes[node]
        let finishedInAll = sources.allSatisfy { $0.isFinished(node) }
        let finishedInAny = sources.contains { $0.isFinished(node) }
        switch spec.kind {
        case .default, .never:
            break
        case .endOfWindow:
            // Done for good only if done everywhere and the merged window's end has passed.
            state.setFinished(node, finishedInAll && context.endOfWindowReached)
        case let .earlyAndLate(hasLate):
            let early = spec.children[0]
            if !sources.allSatisfy({ $0.isFinished(early) }) || !context.endOfWindowReached {
                // Some merged window still has early elements pending: back to early firings.
                onMerge(early, &state, sources, context)
                state.setFinished(early, false)
                if hasLate { resetTree(spec.children[1], &state) }
            } else {
                state.setFinished(early)
                if hasLate { onMerge(spec.children[1], &state, sources, context) }
            }
        case .afterCount, .always:
            if finishedInAny {
                state.setFinished(node)
            } else {
                state.values[spec.valueIndex] = sources.reduce(0) { $0 + $1.values[spec.valueIndex] }
            }
        case .processingTime:
            if finishedInAny {
                state.setFinished(node)
            } else {
                let deadlines = sources.map { $0.values[spec.valueIndex] }.filter { $0 != TriggerState.unset }
                state.values[spec.valueIndex] = deadlines.min() ?? TriggerState.unset
            }
        case .repeatedly:
            onMerge(spec.children[0], &state, sources, context)
        case .afterAll:
            for child in spec.children { onMerge(child, &state, sources, context) }
            state.setFinished(node, spec.children.allSatisfy { state.isFinished($0) })
        case .afterAny, .orFinally:
            for child in spec.children { onMerge(child, &state, sources, context) }
            state.setFinished(node, spec.children.contains { state.isFinished($0) })
        case .afterEach:
            // Subtriggers after the first unfinished one have not started.
            var priorFinished = true
            for child in spec.children {
                if priorFinished {
                    onMerge(child, &state, sources, context)
                    priorFinished = state.isFinished(child)
                } else {
                    clear(child, &state)
                }
            }
            state.setFinished(node, firstUnfinished(spec.children, state) == nil)
        }
    }
}
