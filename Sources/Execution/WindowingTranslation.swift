import SwiftProtobuf
import BeamCore
import BeamModel
import Engine
import Planner

/// Reads a pipeline's WindowingStrategy proto into the engine's plain
/// `WindowingSpec`: window fn, timestamp combiner, lateness, trigger and pane modes.
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
        let accumulation: AccumulationMode
        switch strategy.accumulationMode {
        case .accumulating: accumulation = .accumulating
        case .retracting: throw EngineError.unsupported("RETRACTING accumulation mode")
        default: accumulation = .discarding
        }
        return WindowingSpec(windowFn: windowFn, timestampCombiner: combiner, windowCoder: windowCoder,
                             allowedLatenessMillis: strategy.allowedLateness,
                             needsMerge: strategy.mergeStatus == .needsMerge,
                             trigger: strategy.hasTrigger ? try trigger(strategy.trigger) : .default,
                             accumulation: accumulation,
                             // The Python SDK always sends EMIT_ALWAYS, yet its own runners never
                             // emit the empty final pane at garbage collection (Java's default is
                             // FIRE_IF_NON_EMPTY): a final pane comes out only with new elements.
                             closingBehavior: .emitIfNonEmpty,
                             onTimeBehavior: strategy.onTimeBehavior == .fireIfNonempty ? .fireIfNonEmpty : .fireAlways)
    }

    /// The Trigger proto as a `TriggerSpec` (an unset trigger is the default one, as Beam reads it).
    static func trigger(_ proto: Org_Apache_Beam_Model_Pipeline_V1_Trigger) throws -> TriggerSpec {
        switch proto.trigger {
        case nil, .default?:
            return .default
        case let .afterAll(all)?:
            return .afterAll(try all.subtriggers.map(trigger))
        case let .afterAny(any)?:
            return .afterAny(try any.subtriggers.map(trigger))
        case let .afterEach(each)?:
            return .afterEach(try each.subtriggers.map(trigger))
        case let .afterEndOfWindow(window)?:
            return .afterEndOfWindow(
                early: window.hasEarlyFirings ? try trigger(window.earlyFirings) : nil,
                late: window.hasLateFirings ? try trigger(window.lateFirings) : nil)
        case let .afterProcessingTime(processing)?:
            return .afterProcessingTime(try processing.timestampTransforms.map { transform in
                switch transform.timestampTransform {
                case let .delay(delay)?: return .delay(delay.delayMillis)
                case let .alignTo(align)?: return .alignTo(period: align.period, offset: align.offset)
                case nil: throw EngineError.invalidInput("processing-time trigger transform without a kind")
                }
            })
        case .afterSynchronizedProcessingTime?:
            return .afterSynchronizedProcessingTime
        case .always?:
            return .always
        case let .elementCount(count)?:
            return .afterCount(Int(count.elementCount))
        case .never?:
            return .never
        case let .orFinally(orFinally)?:
            return .orFinally(main: try trigger(orFinally.main), finally: try trigger(orFinally.finally))
        case let .repeat(repeated)?:
            return .repeatedly(try trigger(repeated.subtrigger))
        }
    }
}

extension SwiftProtobuf.Google_Protobuf_Duration {
    var millis: Int64 { seconds * 1000 + Int64(nanos) / 1_000_000 }
}

extension SwiftProtobuf.Google_Protobuf_Timestamp {
    var millis: Int64 { seconds * 1000 + Int64(nanos) / 1_000_000 }
}
