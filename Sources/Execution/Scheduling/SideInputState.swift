import BeamCore
import Engine
import Planner

/// A PCollection read as a side input: everything committed to it so far,
/// indexed for State API reads (rebuilt when more arrives), and which of
/// its windows a main-input window reads (Beam's default window mapping for
/// the standard WindowFns).
///
/// Owned by the scheduler, which asks it whether a main-input element's side
/// window is ready: the side input's watermark is past the window, or (for
/// an unbounded side input, which may never complete) a pane for it has
/// arrived. A bounded side input arrives in several bundles, so it waits for
/// its watermark.
final class SideInputState {
    let pcollection: RunnerPCollection
    /// The side input's WindowFn; nil when the runner cannot map windows to it.
    private let windowFn: WindowFnSpec?
    private var chunks: [[UInt8]] = []
    private var materialized: BundleStateServer.SideInput?
    /// Changes with every append: part of the side input's cache token.
    private(set) var version = 0
    /// Every stage reading it is done: its data is dropped.
    private(set) var isReleased = false

    init(_ pcollection: RunnerPCollection, windowFn: WindowFnSpec?) {
        self.pcollection = pcollection
        self.windowFn = windowFn
    }

    func append(_ chunk: [UInt8]) {
        guard !isReleased else { return }
        chunks.append(chunk)
        materialized = nil
        version += 1
    }

    /// The committed chunks (for a checkpoint; `append` restores them).
    var committedChunks: [[UInt8]] { chunks }

    func release() {
        isReleased = true
        chunks = []
        materialized = nil
    }

    func contents() throws -> BundleStateServer.SideInput {
        if let materialized { return materialized }
        let data = try SideInputData(chunks: chunks, elementCoder: pcollection.element, windowCoder: pcollection.window)
        let built = BundleStateServer.SideInput(data: data, elementCoder: pcollection.element)
        materialized = built
        return built
    }

    /// The side window a main-input `window` reads (as the SDK maps it), nil if unknown.
    func sideWindow(for window: BeamWindow) -> BeamWindow? {
        guard let windowFn, let end = window.maxTimestamp else { return nil }
        switch windowFn {
        case .global:
            return .global
        case .fixed, .sliding:
            // The latest-starting side window that contains the main window's end.
            return (try? windowFn.assignWindows(timestamp: end))?.max { $0.start < $1.start }
        case .sessions, .custom:
            return nil
        }
    }

    /// Whether an element in main-input `window` may read this side input now.
    func isReady(for window: BeamWindow, watermark: Int64) throws -> Bool {
        if watermark >= BeamTime.maxTimestamp { return true }
        guard let side = sideWindow(for: window), let end = side.maxTimestamp else { return false }
        if watermark > end { return true }
        guard pcollection.isUnbounded else { return false }
        let name = try SideInputData.encodeWindow(side, coder: pcollection.window)
        return !(try contents()).data.iterable(window: name).isEmpty
    }
}

private extension BeamWindow {
    var start: Int64 {
        if case let .interval(start, _) = self { return start }
        return BeamTime.minTimestamp
    }
}
