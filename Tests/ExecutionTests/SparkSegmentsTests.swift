import BeamModel
import Foundation
import Planner
import Testing
@testable import Execution

/// Pipelines the Python SDK wrote (Tests/PlannerTests/Fixtures), cut for Spark.
private func plan(_ name: String) throws -> ExecutionPlan {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../PlannerTests/Fixtures/\(name).pb")
    return try PipelinePlanner.plan(try Pipeline(serializedBytes: try Data(contentsOf: url)))
}

@Suite struct SparkSegmentsTests {
    @Test(arguments: ["wordcount", "mixed_flatten", "sessions"])
    func everyStepRunsOnceAfterWhatItReads(_ name: String) throws {
        let plan = try plan(name)
        let cut = try SparkSegments(plan)
        #expect(cut.segments.flatMap(\.steps).sorted() == Array(plan.steps.indices))
        var emitted = Set<String>()
        for segment in cut.segments {
            switch segment.input {
            case .impulse:
                guard case .impulse = plan.steps[segment.steps[0]] else {
                    Issue.record("segment \(segment.id) has an impulse input but starts elsewhere")
                    continue
                }
            case .shuffle(let pcollections):
                #expect(pcollections.allSatisfy(emitted.contains))
                #expect(pcollections.allSatisfy(cut.keyed.contains))
            case .repartition(let pcollections):
                #expect(pcollections.allSatisfy(emitted.contains))
                #expect(pcollections.allSatisfy(cut.spread.contains))
            case .union(let pcollections):
                #expect(pcollections.allSatisfy(emitted.contains))
            }
            #expect(segment.sideInputs.allSatisfy(emitted.contains), "side inputs come from earlier segments")
            emitted.formUnion(segment.outputs)
        }
    }

    @Test func groupByKeysStartAShuffleAndSideInputReadersANewSegment() throws {
        let plan = try plan("wordcount")
        let cut = try SparkSegments(plan)
        for segment in cut.segments {
            for index in segment.steps.dropFirst() {
                if case .groupByKey = plan.steps[index] { Issue.record("a GroupByKey inside segment \(segment.id)") }
                if case .stage(let stage) = plan.steps[index], !stage.sideInputs.isEmpty {
                    Issue.record("a side-input reader inside segment \(segment.id)")
                }
            }
        }
        #expect(cut.segments.contains { !$0.sideInputs.isEmpty })
    }

    @Test func splittableProcessingStartsARepartition() throws {
        let plan = try plan("wordcount")  // ReadFromText: a splittable DoFn
        let cut = try SparkSegments(plan)
        var found = 0
        for segment in cut.segments {
            for (position, index) in segment.steps.enumerated() {
                guard case .stage(let stage) = plan.steps[index], stage.residualTransformID != nil else { continue }
                found += 1
                #expect(position == 0, "a splittable DoFn's processing inside segment \(segment.id)")
                #expect(segment.input == .repartition([stage.input.pcollection]))
            }
        }
        #expect(found > 0)
    }

    @Test func testStreamPipelinesStayLocal() throws {
        #expect(throws: ExecutionError.self) { try SparkSegments(try plan("teststream_triggered")) }
    }
}
