// How a GroupByKey's panes relate to each other and when empty panes still come out.
// All three are part of `WindowingSpec` (from the WindowingStrategy proto) and read by
// `TriggeredGroupByKey`.

/// Whether a pane repeats the elements of earlier panes of its window.
public enum AccumulationMode: Sendable, Hashable {
    /// Each pane holds only the elements that arrived since the previous pane.
    case discarding
    /// Each pane holds every element of the window so far.
    case accumulating
}

/// Whether the window's final pane (when it is garbage collected) comes out when empty.
public enum ClosingBehavior: Sendable, Hashable {
    case emitAlways
    case emitIfNonEmpty
}

/// Whether the on-time pane comes out when no element arrived since the previous pane.
public enum OnTimeBehavior: Sendable, Hashable {
    case fireAlways
    case fireIfNonEmpty
}
