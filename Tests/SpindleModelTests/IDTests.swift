import SpindleModel
import Testing

@Suite struct TraceIDTests {
    @Test func hexParsing_acceptsEitherCase_andWritesLowercase() throws {
        let id = try #require(TraceID(hex: "5B8EFFF798038103d269b633813fc60c"))
        #expect(id.high == 0x5B8E_FFF7_9803_8103)
        #expect(id.low == 0xD269_B633_813F_C60C)
        #expect(id.hexString == "5b8efff798038103d269b633813fc60c")
        #expect(id.description == id.hexString)
    }

    @Test(arguments: [
        "", "5b8efff798038103d269b633813fc60", "5b8efff798038103d269b633813fc60c0",
        "5b8efff798038103d269b633813fc60g", " 5b8efff798038103d269b633813fc60", "0x8efff798038103d269b633813fc60c",
        "5b8efff798038103d269b633813fc6\u{e9}",
    ])
    func hexParsing_rejectsWrongLengthOrNonHex(_ text: String) {
        #expect(TraceID(hex: text) == nil)
    }

    @Test func bytes_roundTripBigEndian() throws {
        let bytes: [UInt8] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0xFF]
        let id = try #require(TraceID(bytes: bytes))
        #expect(id.bytes == bytes)
        #expect(id.hexString == "000102030405060708090a0b0c0d0eff")
        #expect(TraceID(bytes: bytes.dropLast()) == nil)
        #expect(TraceID(bytes: bytes + [0]) == nil)
    }

    @Test func allZero_isInvalid() throws {
        #expect(!TraceID.zero.isValid)
        #expect(try #require(TraceID(hex: "00000000000000000000000000000000")) == .zero)
        #expect(TraceID(high: 0, low: 1).isValid)
        #expect(TraceID(high: 1, low: 0).isValid)
    }

    @Test func ordering_followsTheBytes() {
        #expect(TraceID(high: 0, low: .max) < TraceID(high: 1, low: 0))
        #expect(TraceID(high: 1, low: 1) < TraceID(high: 1, low: 2))
    }
}

@Suite struct SpanIDTests {
    @Test func hexParsing_acceptsEitherCase_andWritesLowercase() throws {
        let id = try #require(SpanID(hex: "00F0E1D2c3b4a596"))
        #expect(id.value == 0x00F0_E1D2_C3B4_A596)
        #expect(id.hexString == "00f0e1d2c3b4a596")
    }

    @Test(arguments: ["", "00f0e1d2c3b4a59", "00f0e1d2c3b4a5960", "00f0e1d2c3b4a59z", "-0f0e1d2c3b4a596"])
    func hexParsing_rejectsWrongLengthOrNonHex(_ text: String) {
        #expect(SpanID(hex: text) == nil)
    }

    @Test func allZero_isInvalid() {
        #expect(!SpanID.zero.isValid)
        #expect(SpanID(hex: "0000000000000000") == .zero)
        #expect(SpanID(1).isValid)
    }

    @Test func bytes_roundTripBigEndian() throws {
        let id = try #require(SpanID(bytes: [0xC0, 0xFF, 0xEE, 0x00, 0xDE, 0xAD, 0xBE, 0xEF] as [UInt8]))
        #expect(id.hexString == "c0ffee00deadbeef")
        #expect(id.bytes == [0xC0, 0xFF, 0xEE, 0x00, 0xDE, 0xAD, 0xBE, 0xEF])
        #expect(SpanID(bytes: [1, 2, 3] as [UInt8]) == nil)
    }
}

@Suite struct HexTests {
    @Test func bytes_decodeEvenDigitsOfEitherCase() {
        #expect(Hex.bytes("00aBfF") == [0x00, 0xAB, 0xFF])
        #expect(Hex.bytes("") == [])
        #expect(Hex.bytes("abc") == nil)
        #expect(Hex.bytes("zz") == nil)
        #expect(Hex.string([0x00, 0xAB, 0xFF] as [UInt8]) == "00abff")
    }
}
