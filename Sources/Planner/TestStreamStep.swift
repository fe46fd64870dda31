import BeamCore
import BeamModel

/// A TestStream as the runner replays it: its events in order, elements
/// already encoded as the output runner PCollection's windowed values.
public struct TestStreamStep: Sendable {
    public enum Event: Sendable {
        /// Concatenated windowed values (global window, no firing) for the output `tag`.
        case elements(tag: String, encoded: [UInt8])
        /// The output `tag`'s watermark moves to `millis`; on the last event every output goes to +inf.
        case watermark(tag: String, millis: Int64)
        /// The job's processing time moves forward by `millis`.
        case processingTime(advanceMillis: Int64)
    }

    public let transformID: String
    public let name: String
    /// Output tag -> runner PCollection.
    public let outputs: [String: String]
    public let events: [Event]
}

extension PlanBuilder {
    /// Decodes the TestStream payload; elements arrive in the payload coder's
    /// outer encoding and are re-encoded nested, as the runner stores them.
    mutating func testStreamStep(_ planned: PlannedTransform) throws -> TestStreamStep {
        let transform = planned.transform
        let payload: Org_Apache_Beam_Model_Pipeline_V1_TestStreamPayload
        do {
            payload = try Org_Apache_Beam_Model_Pipeline_V1_TestStreamPayload(serializedBytes: transform.spec.payload)
        } catch {
            throw PlanningError("TestStream '\(transform.uniqueName)' has an unreadable payload: \(error)")
        }
        if payload.events.isEmpty, !payload.endpoint.url.isEmpty {
            throw PlanningError.unsupportedTransform(transform.spec.urn, transform.uniqueName,
                                                     "a TestStream served from an endpoint (events must be in the payload)")
        }
        let payloadCoder = try CoderWiring.spec(payload.coderID, in: context.components)
        var outputs: [String: String] = [:]
        for (tag, pcollection) in transform.outputs {
            let coder = try context.pcollection(pcollection).coderID
            // Re-encoded here when the runner reads the payload coder whole (or it is one opaque coder).
            if coder == payload.coderID, payloadCoder.isKnown || payloadCoder.isOpaque {
                outputs[tag] = try runnerPCollection(pcollection)
            } else {
                // The SDK knows both coders: it re-encodes in a stage of its own.
                let runnerID = try runnerPCollection(pcollection, runnerID: "\(pcollection)@\(planned.id)", elementCoder: payload.coderID)
                testStreamTranscodes.append((pcollection, runnerID))
                outputs[tag] = runnerID
            }
        }
        var events: [TestStreamStep.Event] = []
        for event in payload.events {
            switch event.event {
            case .elementEvent(let add):
                let tag = try outputTag(add.tag, of: transform)
                guard let output = runnerPCollections[outputs[tag]!] else { continue }
                var writer = ByteWriter()
                let codec = WindowedValueCodec(elementCoder: output.element, windowCoder: output.window)
                for element in add.elements {
                    try codec.writeHeader(timestamp: element.timestamp, windows: [.global], pane: .noFiring, into: &writer)
                    try Self.reencodeNested([UInt8](element.encodedElement), from: payloadCoder, to: output.element,
                                            into: &writer, transform: transform.uniqueName)
                }
                events.append(.elements(tag: tag, encoded: writer.bytes))
            case .watermarkEvent(let advance):
                events.append(.watermark(tag: try outputTag(advance.tag, of: transform), millis: advance.newWatermark))
            case .processingTimeEvent(let advance):
                events.append(.processingTime(advanceMillis: advance.advanceDuration))
            case nil:
                continue
            }
        }
        return TestStreamStep(transformID: planned.id, name: transform.uniqueName, outputs: outputs, events: events)
    }

    /// The output an event names: its tag, or the only output when the tag is empty.
    private func outputTag(_ tag: String, of transform: PTransform) throws -> String {
        if transform.outputs[tag] != nil { return tag }
        if tag.isEmpty, transform.outputs.count == 1 { return transform.outputs.keys.first! }
        throw PlanningError("TestStream '\(transform.uniqueName)' has an event for unknown output tag '\(tag)'")
    }

    private static func reencodeNested(_ bytes: [UInt8], from payloadCoder: CoderSpec, to elementCoder: CoderSpec,
                                       into writer: inout ByteWriter, transform: String) throws {
        switch elementCoder {
        case .lengthPrefix(let inner) where !inner.isKnown || inner == payloadCoder:
            // The runner length-prefixed a coder it cannot read: the outer encoding is exactly what goes inside.
            writer.writeLengthPrefixed(bytes)
        default:
            guard payloadCoder.isKnown else {
                throw PlanningError("TestStream '\(transform)': cannot re-encode elements of coder \(payloadCoder.urn) as \(elementCoder.urn)")
            }
            let value = try payloadCoder.decode(bytes, nested: false)
            try elementCoder.encode(value, into: &writer, nested: true)
        }
    }
}

private extension CoderSpec {
    var isOpaque: Bool {
        if case .opaque = self { return true }
        return false
    }
}
