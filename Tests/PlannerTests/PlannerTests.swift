import BeamCore
import BeamModel
import Foundation
import Planner
import Testing

/// Pipelines written by Fixtures/make_fixtures.py with the real Python SDK.
func fixture(_ name: String) throws -> Pipeline {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/\(name).pb")
    return try Pipeline(serializedBytes: try Data(contentsOf: url))
}

@Suite struct PlannerTests {
    @Test func wordcountFusesLiftsAndExpandsSDF() throws {
        let plan = try PipelinePlanner.plan(try fixture("wordcount"))
        let stages = plan.stages
        let urns = stages.flatMap { stage in
            stage.descriptor(endpoint: "e").transforms.values.map(\.spec.urn)
        }
        #expect(urns.contains(TransformURNs.sdfPairWithRestriction))
        #expect(urns.contains(TransformURNs.sdfProcessSizedElements))
        #expect(urns.contains(TransformURNs.combinePrecombine))
        #expect(urns.contains(TransformURNs.combineExtractOutputs))
        #expect(!urns.contains(TransformURNs.combinePerKey))
        #expect(!urns.contains(TransformURNs.groupByKey), "shuffles stay in the runner")
        // Every stage reads one runner source, and everything it reads is produced earlier.
        var produced = Set<String>()
        for step in plan.steps {
            switch step {
            case .impulse(let output): produced.insert(output)
            case .testStream(let testStream): produced.formUnion(testStream.outputs.values)
            case .groupByKey(let gbk):
                #expect(produced.contains(gbk.input))
                produced.insert(gbk.output)
            case .flatten(let flatten):
                #expect(flatten.inputs.allSatisfy(produced.contains))
                produced.insert(flatten.output)
            case .stage(let stage):
                #expect(produced.contains(stage.input.pcollection))
                #expect(stage.sideInputs.allSatisfy { produced.contains($0.pcollection) })
                stage.outputs.forEach { produced.insert($0.pcollection) }
            }
        }
        // Side inputs are wired: the Map with AsSingleton and WriteToText's finalize steps.
        #expect(stages.contains { !$0.sideInputs.isEmpty })
        // Runner PCollections are windowed values of understood (or length-prefixed) coders,
        // except a splittable DoFn's process input, passed through in the SDK's coder.
        let passedThrough = Set(stages.filter { $0.residualTransformID != nil }.map(\.input.pcollection))
        #expect(passedThrough.count == 1)
        for pcollection in plan.pcollections.values where !passedThrough.contains(pcollection.id) {
            #expect(pcollection.element.isKnown, "\(pcollection.id): \(pcollection.element)")
        }
    }

    @Test func splittableStagesHaveATruncatingVariantForDrain() throws {
        let plan = try PipelinePlanner.plan(try fixture("wordcount"))
        let sdf = try #require(plan.stages.first { $0.residualTransformID != nil })
        #expect(plan.stages.filter { $0.residualTransformID == nil }.allSatisfy { $0.truncating == nil })
        let variant = try #require(sdf.truncating)
        #expect(variant.id != sdf.id && variant.input == sdf.input && variant.outputs == sdf.outputs)
        #expect(variant.residualTransformID == sdf.residualTransformID)
        #expect(plan.registeredStages.contains { $0.id == variant.id })
        // source -> truncate -> process, both edges in the process input's (the runner's) coder.
        let descriptor = variant.descriptor(endpoint: "e")
        let processID = try #require(sdf.residualTransformID)
        let process = try #require(descriptor.transforms[processID])
        let truncate = try #require(descriptor.transforms.values.first { $0.spec.urn == TransformURNs.sdfTruncateSizedRestrictions })
        #expect(truncate.spec.payload == process.spec.payload)
        let restrictions = try #require(truncate.outputs["out"])
        #expect(process.inputs.values.contains(restrictions))
        let source = try #require(descriptor.transforms[sdf.input.transformID])
        let untruncated = try #require(source.outputs.values.first)
        #expect(truncate.inputs.values.contains(untruncated) && untruncated != restrictions)
        #expect(descriptor.pcollections[untruncated]?.coderID == descriptor.pcollections[restrictions]?.coderID)
        #expect(!sdf.descriptor(endpoint: "e").transforms.values.contains { $0.spec.urn == TransformURNs.sdfTruncateSizedRestrictions })
    }

    @Test func descriptorsPointAtTheEndpoint() throws {
        let plan = try PipelinePlanner.plan(try fixture("wordcount"))
        let descriptor = plan.stages[0].descriptor(endpoint: "127.0.0.1:5555")
        #expect(descriptor.stateApiServiceDescriptor.url == "127.0.0.1:5555")
        let source = try #require(descriptor.transforms[plan.stages[0].input.transformID])
        let port = try RemoteGrpcPort(serializedBytes: source.spec.payload)
        #expect(port.apiServiceDescriptor.url == "127.0.0.1:5555")
        #expect(descriptor.coders[port.coderID]?.spec.urn == CoderURNs.windowedValue)
    }

    @Test func flattenOfDifferentCodersTranscodesInTheSDK() throws {
        let plan = try PipelinePlanner.plan(try fixture("mixed_flatten"))
        let flatten = try #require(plan.steps.compactMap { if case .flatten(let f) = $0 { f } else { nil } }.first)
        #expect(flatten.inputs.count == 2)
        let elementCoders = Set(flatten.inputs.compactMap { plan.pcollections[$0]?.element })
        #expect(elementCoders.count == 1, "every flatten input arrives in the output's coder")
    }

    @Test func sessionsAreNotLifted() throws {
        let plan = try PipelinePlanner.plan(try fixture("sessions"))
        let urns = plan.stages.flatMap { $0.descriptor(endpoint: "e").transforms.values.map(\.spec.urn) }
        #expect(!urns.contains(TransformURNs.combinePrecombine))
        #expect(plan.steps.contains { if case .groupByKey = $0 { true } else { false } })
    }

    @Test func unknownRequirementsAndTransformsFailNamingThem() throws {
        var pipeline = try fixture("mixed_flatten")
        pipeline.requirements.append("beam:requirement:pardo:made_up:v1")
        #expect(throws: PlanningError.self) { try PipelinePlanner.plan(pipeline) }
        do {
            _ = try PipelinePlanner.plan(pipeline)
        } catch let error as PlanningError {
            #expect(error.description.contains("beam:requirement:pardo:made_up:v1"))
        }
        var odd = try fixture("mixed_flatten")
        let flattenID = try #require(odd.components.transforms.first { $0.value.spec.urn == TransformURNs.flatten }?.key)
        odd.components.transforms[flattenID]?.spec.urn = "beam:transform:made_up:v1"
        do {
            _ = try PipelinePlanner.plan(odd)
            Issue.record("planning should fail")
        } catch let error as PlanningError {
            #expect(error.description.contains("beam:transform:made_up:v1"))
        }
    }
}

@Suite struct TestStreamPlanningTests {
    @Test func testStreamEventsAreReplayableAndTriggeredCombinesAreNotLifted() throws {
        let plan = try PipelinePlanner.plan(try fixture("teststream_triggered"))
        let step = try #require(plan.steps.compactMap { if case .testStream(let t) = $0 { t } else { nil } }.first)
        #expect(step.events.count == 5)
        guard case .elements(let tag, let encoded) = step.events[0], let output = step.outputs[tag],
              let pcollection = plan.pcollections[output] else {
            Issue.record("first event should add elements to a known output")
            return
        }
        let codec = WindowedValueCodec(elementCoder: pcollection.element, windowCoder: pcollection.window)
        let values = try codec.split(encoded)
        #expect(values.count == 1)
        #expect(values.first?.timestamp == 1_000, "Python's seconds arrive as millis")
        guard case .watermark(_, 5_000) = step.events[1], case .processingTime(3_000) = step.events[2] else {
            Issue.record("watermark and processing-time events keep their order and values")
            return
        }
        let urns = plan.stages.flatMap { $0.descriptor(endpoint: "e").transforms.values.map(\.spec.urn) }
        #expect(!urns.contains(TransformURNs.combinePrecombine), "an early-firing trigger must see every element")
    }
}
