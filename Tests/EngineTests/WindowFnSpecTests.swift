import BeamCore
import Engine
import Testing

@Suite struct WindowFnSpecTests {
    @Test func fixedWindowsTileTimeWithOffset() throws {
        let fixed = WindowFnSpec.fixed(sizeMillis: 10, offsetMillis: 3)
        #expect(try fixed.assignWindows(timestamp: 3) == [.interval(start: 3, end: 13)])
        #expect(try fixed.assignWindows(timestamp: 12) == [.interval(start: 3, end: 13)])
        #expect(try fixed.assignWindows(timestamp: 2) == [.interval(start: -7, end: 3)])
        #expect(try fixed.assignWindows(timestamp: -8) == [.interval(start: -17, end: -7)])
    }

    @Test func slidingWindowsAsBeamPython() throws {
        // Python SlidingWindows(size=10, period=5).assign at t=7: [5,15) then [0,10).
        let sliding = WindowFnSpec.sliding(sizeMillis: 10, periodMillis: 5, offsetMillis: 0)
        #expect(try sliding.assignWindows(timestamp: 7) == [.interval(start: 5, end: 15), .interval(start: 0, end: 10)])
        #expect(try sliding.assignWindows(timestamp: 5) == [.interval(start: 5, end: 15), .interval(start: 0, end: 10)])
        #expect(try sliding.assignWindows(timestamp: -1) == [.interval(start: -5, end: 5), .interval(start: -10, end: 0)])
        let sparse = WindowFnSpec.sliding(sizeMillis: 5, periodMillis: 10, offsetMillis: 0)
        #expect(try sparse.assignWindows(timestamp: 7).isEmpty, "gaps between sparse sliding windows hold nothing")
    }

    @Test func sessionsGlobalAndCustom() throws {
        #expect(try WindowFnSpec.sessions(gapMillis: 30).assignWindows(timestamp: 4) == [.interval(start: 4, end: 34)])
        #expect(try WindowFnSpec.global.assignWindows(timestamp: 4) == [.global])
        #expect(throws: EngineError.self) { try WindowFnSpec.custom(urn: "x", payload: []).assignWindows(timestamp: 0) }
    }

    @Test func mergingDefaults() {
        #expect(WindowingSpec(windowFn: .sessions(gapMillis: 1), windowCoder: .intervalWindow).needsMerge)
        #expect(!WindowingSpec(windowFn: .fixed(sizeMillis: 1, offsetMillis: 0), windowCoder: .intervalWindow).needsMerge)
        #expect(!WindowingSpec.globalDefault.needsMerge)
        #expect(WindowingSpec.globalDefault.timestampCombiner == .endOfWindow)
    }
}
