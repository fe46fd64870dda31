import SwiftProtobuf
import BeamCore
import BeamModel
import Engine
import Planner

/// Reads a pipeline's WindowingStrategy proto into the engine's plain
/// `WindowingSpec`.
enum WindowingTranslation {
    static func spec(_ strategy: WindowingStrategy, windowCoder: CoderSpec) throws -> WindowingSpec {
        let fn = strategy.windowFn
        let windowFn: WindowFnSpec
        switch fn.urn {
        case WindowFnURNs.global:
            windowFn = .global
        case WindowFnURNs.fixed:
            let payload = try FixedWindowsPayload(serializedBytes: fn.payload)
            windowFn = .fixed(sizeMillis: payload.size.millis, offsetMillis: payload.offset.millis)
        case WindowFnURNs.sliding:
            let payload = try SlidingWindowsPayload(serializedBytes: fn.payload)
            windowFn = .sliding(sizeMillis: payload.size.millis, periodMillis: payload.period.millis,
                                offsetMillis: payload.offset.millis)
        case WindowFnURNs.sessions:
            let payload = try SessionWindowsPayload(serializedBytes: fn.payload)
            windowFn = .sessions(gapMillis: payload.gapSize.millis)
        default:
            windowFn = .custom(urn: fn.urn, payload: [UInt8](fn.payload))
        }
        let combiner: TimestampCombiner
        switch strategy.outputTime {
        case .earliestInPane: combiner = .earliest
        case .latestInPane: combiner = .latest
        default: combiner = .endOfWindow
        }
        return WindowingSpec(windowFn: windowFn, timestampCombiner: combiner, windowCoder: windowCoder,
                             allowedLatenessMillis: strategy.allowedLateness,
                             needsMerge: strategy.mergeStatus == .needsMerge)
    }
}

extension SwiftProtobuf.Google_Protobuf_Duration {
    var millis: Int64 { seconds * 1000 + Int64(nanos) / 1_000_000 }
}

extension SwiftProtobuf.Google_Protobuf_Timestamp {
    var millis: Int64 { seconds * 1000 + Int64(nanos) / 1_000_000 }
}
