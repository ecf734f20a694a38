import Testing

@testable import SpindleServer

/// Query strings are read as browsers' forms and Go's `url.ParseQuery` write them.
@Suite struct QueryParametersTests {
    @Test func plusIsASpaceAndEscapesDecode() {
        let p = QueryParameters(query: "operation=GET+/checkout&q=%7B+name+%3D+%22a+b%22+%7D&x=1%2B1")
        #expect(p["operation"] == "GET /checkout")
        #expect(p["q"] == #"{ name = "a b" }"#)
        #expect(p["x"] == "1+1")
    }

    @Test func repeatedEmptyAndBareKeys() {
        let p = QueryParameters(query: "attr=a%3D1&attr=b&&attr=&flag&k%20ey=v")
        #expect(p.all("attr") == ["a=1", "b"])
        #expect(p["flag"] == nil)
        #expect(p["k ey"] == "v")
    }

    @Test func malformedEscapesStayAsWritten() {
        let p = QueryParameters(query: "a=%&b=%4&c=%zz&d=100%25&e=%C3%BC&f=%FF")
        #expect(p["a"] == "%")
        #expect(p["b"] == "%4")
        #expect(p["c"] == "%zz")
        #expect(p["d"] == "100%")
        #expect(p["e"] == "ü")
        #expect(p["f"] == "\u{FFFD}")
    }
}
