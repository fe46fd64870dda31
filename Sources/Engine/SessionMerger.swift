/// Merges one key's proto-session windows the way Beam's Sessions.merge does:
/// sorted by start, a window joins the current session when it starts strictly
/// before the session's end.
///
/// Used by `GroupByKey` for merging windowing.
struct SessionMerger {
    /// For each input interval, the index of its merged session in `sessions`;
    /// sessions come out ordered by start.
    static func merge(_ intervals: [(start: Int64, end: Int64)]) -> (sessions: [(start: Int64, end: Int64)], assignment: [Int]) {
        let order = intervals.indices.sorted {
            (intervals[$0].start, $0) < (intervals[$1].start, $1)
        }
        var sessions: [(start: Int64, end: Int64)] = []
        var assignment = [Int](repeating: 0, count: intervals.count)
        for index in order {
            let window = intervals[index]
            if let last = sessions.last, last.end > window.start {
                sessions[sessions.count - 1].end = max(last.end, window.end)
            } else {
                sessions.append(window)
            }
            assignment[index] = sessions.count - 1
        }
        return (sessions, assignment)
    }
}
