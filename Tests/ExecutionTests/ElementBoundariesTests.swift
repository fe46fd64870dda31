import BeamCore
import Testing
@testable import Execution

@Suite struct ElementBoundariesTests {
    @Test func cutsOnlyBetweenElements() throws {
        let coder = CoderSpec.windowedValue(element: .bytes, window: .globalWindow)
        var writer = ByteWriter()
        var starts: Set<Int> = []
        for index in 0..<5000 {
            starts.insert(writer.count)
            let element = DecodedWindowedValueFixture.make(bytes: [UInt8](repeating: UInt8(index % 200), count: 900))
            try coder.encode(element, into: &writer)
        }
        let small: [UInt8] = Array(writer.bytes.prefix(0))
        let offsets = ElementBoundaries.offsets(of: [writer.bytes, small], coder: coder)
        #expect(offsets.first == 0)
        #expect(offsets.count > 3, "a 4.5 MB chunk gets interior boundaries")
        for offset in offsets.dropLast() { #expect(starts.contains(offset)) }
        #expect(offsets.last == writer.count, "the second chunk starts where the first ends")
    }

    @Test func opaqueCodersOnlyUseChunkStarts() {
        let coder = CoderSpec.windowedValue(element: .opaque(urn: "x"), window: .globalWindow)
        let chunk = [UInt8](repeating: 0, count: 3 << 20)
        #expect(ElementBoundaries.offsets(of: [chunk, chunk], coder: coder) == [0, 3 << 20])
    }
}

/// Builds windowed byte-string values in the global window.
enum DecodedWindowedValueFixture {
    static func make(bytes: [UInt8]) -> CoderValue {
        .windowedValue(DecodedWindowedValue(value: .bytes(bytes), timestamp: 0, windows: [.global], pane: .noFiring))
    }
}
