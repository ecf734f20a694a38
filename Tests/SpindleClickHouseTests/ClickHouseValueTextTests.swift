import SpindleClickHouse
import SpindleModel
import Testing

struct ClickHouseValueTextTests {
    @Test func value_readsEveryTag() {
        #expect(ClickHouseValueText.value(type: 0, text: "") == .empty)
        #expect(ClickHouseValueText.value(type: 1, text: "x'\\") == .string("x'\\"))
        #expect(ClickHouseValueText.value(type: 2, text: "true") == .bool(true))
        #expect(ClickHouseValueText.value(type: 3, text: "-9223372036854775808") == .int(.min))
        #expect(ClickHouseValueText.value(type: 4, text: "1e-05") == .double(0.00001))
        #expect(ClickHouseValueText.value(type: 4, text: "-inf") == .double(-.infinity))
        #expect(ClickHouseValueText.value(type: 4, text: "nan").map { $0.isIdentical(to: .double(.nan)) } == true)
        #expect(ClickHouseValueText.value(type: 5, text: "00ff27") == .bytes([0, 0xFF, 0x27]))
        #expect(ClickHouseValueText.value(type: 6, text: #"{"arrayValue":{"values":[{"intValue":"1"},{}]}}"#) == .array([.int(1), .empty]))
        #expect(ClickHouseValueText.value(type: 7, text: #"{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":false}}]}}"#) == .keyValueList([Attribute("k", .bool(false))]))
    }

    @Test func value_rejectsMalformedText() {
        #expect(ClickHouseValueText.value(type: 8, text: "") == nil)
        #expect(ClickHouseValueText.value(type: 0, text: "x") == nil)
        #expect(ClickHouseValueText.value(type: 2, text: "yes") == nil)
        #expect(ClickHouseValueText.value(type: 3, text: "1.5") == nil)
        #expect(ClickHouseValueText.value(type: 3, text: "99999999999999999999") == nil)
        #expect(ClickHouseValueText.value(type: 5, text: "abc") == nil)
        #expect(ClickHouseValueText.value(type: 5, text: "zz") == nil)
        #expect(ClickHouseValueText.value(type: 6, text: "[") == nil)
        #expect(ClickHouseValueText.value(type: 6, text: #"{"arrayValue":{"values":[{"intValue":1}]}}"#) == nil)
        #expect(ClickHouseValueText.value(type: 7, text: #"{"kvlistValue":{"values":[{"key":"k"}]}}"#) == nil)
        let deep = String(repeating: #"{"arrayValue":{"values":["#, count: 100) + String(repeating: "]}}", count: 100)
        #expect(ClickHouseValueText.value(type: 6, text: deep) == nil)
    }
}
