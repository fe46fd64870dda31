import BeamCore
import Testing

@Suite struct PaneInfoTests {
    // Expected bytes from Beam Python's PaneInfoCoderImpl.
    static let panes: [(PaneInfo, String)] = [
        (PaneInfo.noFiring, "0f"),
        (PaneInfo.onTimeOnly, "07"),
        (PaneInfo(isFirst: false, isLast: true, timing: .late, index: 3, nonSpeculativeIndex: 1), "2a0301"),
        (PaneInfo(isFirst: false, isLast: false, timing: .onTime, index: 2, nonSpeculativeIndex: 2), "1402"),
        (PaneInfo(isFirst: true, isLast: false, timing: .early, index: 0, nonSpeculativeIndex: -1), "1100"),
        (PaneInfo(isFirst: false, isLast: false, timing: .early, index: 2, nonSpeculativeIndex: -1), "1002"),
    ]

    @Test(arguments: panes)
    func encodingMatchesBeam(pane: PaneInfo, expected: String) throws {
        var writer = ByteWriter()
        pane.encode(into: &writer)
        #expect(hex(writer.bytes) == expected)
        var reader = ByteReader(writer.bytes)
        #expect(try PaneInfo.decode(&reader) == pane)
        #expect(reader.isAtEnd)
        var skipper = ByteReader(writer.bytes)
        try PaneInfo.skip(&skipper)
        #expect(skipper.isAtEnd)
    }

    @Test func firstEncodingOfAnyByteReencodesIdentically() throws {
        for low in UInt8(0)...0x0F {
            var reader = ByteReader([low])
            let pane = try PaneInfo.decode(&reader)
            var writer = ByteWriter()
            pane.encode(into: &writer)
            #expect(writer.bytes == [low])
        }
    }

    @Test func unknownEncodingTypeThrows() {
        var reader = ByteReader([0x3F])
        #expect(throws: CoderError.self) { try PaneInfo.decode(&reader) }
        var skipper = ByteReader([0x3F])
        #expect(throws: CoderError.self) { try PaneInfo.skip(&skipper) }
    }
}
