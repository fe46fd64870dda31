import Engine
import Testing

@Suite struct ImpulseElementTests {
    @Test func matchesBeamPython() {
        // WindowedValueCoder(BytesCoder(), GlobalWindowCoder()).get_impl().encode_nested(
        //     WindowedValue(b'', MIN_TIMESTAMP, [GlobalWindow()]))
        #expect(ImpulseElement.encoded() == bytes(fromHex: "7fdf3b645a1cac09000000010f00"))
    }
}
