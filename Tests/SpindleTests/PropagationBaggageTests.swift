import Instrumentation
import ServiceContextModule
import Spindle
import SpindleModel
import Testing

@Suite struct PropagationBaggageTests {
    private func entries(_ baggage: Baggage) -> [String] {
        baggage.entries.map { $0.metadata.isEmpty ? "\($0.key)=\($0.value)" : "\($0.key)=\($0.value);\($0.metadata)" }
    }

    /// (baggage header, the decoded entries kept as `key=value[;metadata]`).
    static let parseCases: [(String, [String])] = [
        ("key1=value1,key2=value2", ["key1=value1", "key2=value2"]),
        // The specification's example, with properties.
        ("key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue",
         ["key1=value1;property1;property2", "key2=value2", "key3=value3;propertyKey=propertyValue"]),
        (" a = 1 ; p = x ; q ,\tb=2\t", ["a=1;p=x;q", "b=2"]),
        // Percent-decoding.
        ("userId=alice%20smith,serverNode=DF%3A28", ["userId=alice smith", "serverNode=DF:28"]),
        ("chinese=%E4%BD%A0%E5%A5%BD", ["chinese=你好"]),
        ("bad=%FF", ["bad=\u{FFFD}"]),
        ("literal=%zz%4,plus=a+b", ["literal=%zz%4", "plus=a+b"]),
        ("empty=", ["empty="]),
        // Invalid members are dropped, the others kept.
        ("=v,k=1", ["k=1"]),
        ("novalue,k=1", ["k=1"]),
        ("k=v v,k2=1", ["k2=1"]),
        ("k=\"q\",k2=1", ["k2=1"]),
        ("k=a\\b,k2=1", ["k2=1"]),
        ("bad key=v,k2=1", ["k2=1"]),
        ("k(x)=v,k2=1", ["k2=1"]),
        ("k=v;,k2=1", ["k2=1"]),
        ("k=v;p=\"x\",k2=1", ["k2=1"]),
        ("k=é,k2=1", ["k2=1"]),
        ("", []),
        (",, ,", []),
        // A repeated key: the last value, at the first position.
        ("a=1,b=2,a=3", ["a=3", "b=2"]),
    ]

    @Test(arguments: parseCases)
    func parsesBaggage(header: String, expected: [String]) {
        #expect(entries(W3CBaggagePropagator.parse(header)) == expected)
    }

    @Test func keepsAtMost180Entries() {
        let header = (0..<200).map { "k\($0)=v" }.joined(separator: ",")
        let baggage = W3CBaggagePropagator.parse(header)
        #expect(baggage.entries.count == 180)
        #expect(baggage.entries.last?.key == "k179")
    }

    @Test func dropsEntriesOver4096BytesAndStopsAt8192Total() {
        let huge = "huge=" + String(repeating: "x", count: 4092)
        #expect(entries(W3CBaggagePropagator.parse("a=1,\(huge),b=2")) == ["a=1", "b=2"])
        let fits = "fits=" + String(repeating: "x", count: 4091)  // exactly 4096 bytes
        #expect(W3CBaggagePropagator.parse(fits)["fits"]?.count == 4091)
        // Two members of 4000 bytes, the third would pass 8192 bytes in all.
        let big = (0..<3).map { "k\($0)=" + String(repeating: "v", count: 3997) }
        #expect(W3CBaggagePropagator.parse(big.joined(separator: ",")).entries.map(\.key) == ["k0", "k1"])
    }

    @Test func injectsPercentEncodedValuesAndMetadata() {
        let baggage = Baggage([
            .init(key: "user.id", value: "alice smith"),
            .init(key: "odd", value: "a,b;c=d%e+f\"g\\h é"),
            .init(key: "meta", value: "v", metadata: "ttl = 60; secret"),
            .init(key: "bad key", value: "dropped"),
            .init(key: "badmeta", value: "kept", metadata: "a b"),
        ])
        let headers = PropagationHelpers.inject(W3CBaggagePropagator(), PropagationHelpers.context(nil, baggage: baggage))
        #expect(headers == [
            "baggage": "user.id=alice%20smith,odd=a%2Cb%3Bc=d%25e%2Bf%22g%5Ch%20%C3%A9,meta=v;ttl=60;secret,badmeta=kept",
        ])
    }

    @Test func injectsNothingForEmptyBaggage() {
        #expect(PropagationHelpers.inject(W3CBaggagePropagator(), PropagationHelpers.context(nil, baggage: Baggage())).isEmpty)
        #expect(PropagationHelpers.inject(W3CBaggagePropagator(), PropagationHelpers.context(nil)).isEmpty)
    }

    @Test func injectKeepsTheLimits() {
        let many = Baggage((0..<200).map { .init(key: "k\($0)", value: "v") })
        #expect(W3CBaggagePropagator.headerValue(of: many).map { W3CBaggagePropagator.parse($0).entries.count } == 180)
        let big = Baggage((0..<3).map { .init(key: "k\($0)", value: String(repeating: "v", count: 3997)) }
            + [.init(key: "huge", value: String(repeating: "x", count: 5000))])
        #expect(W3CBaggagePropagator.headerValue(of: big).map { W3CBaggagePropagator.parse($0).entries.map(\.key) } == ["k0", "k1"])
    }

    @Test func roundTripsAnyText() {
        let baggage = Baggage([
            .init(key: "a", value: "plain"),
            .init(key: "b", value: " spaces  and\ttabs "),
            .init(key: "c", value: "ünïcødé 🎉 %41 + = , ; \\ \""),
            .init(key: "d", value: "", metadata: "p=1;q"),
        ])
        let headers = PropagationHelpers.inject(W3CBaggagePropagator(), PropagationHelpers.context(nil, baggage: baggage))
        #expect(PropagationHelpers.extract(W3CBaggagePropagator(), headers).baggage == baggage)
    }

    @Test func extractMergesIntoExistingBaggage() {
        var context = ServiceContext.topLevel
        context.baggage = Baggage([.init(key: "a", value: "old"), .init(key: "keep", value: "1")])
        W3CBaggagePropagator().extract(["baggage": "a=new,b=2"], into: &context, using: HeaderDictionaryExtractor())
        #expect(context.baggage.map(entries) == ["a=new", "keep=1", "b=2"])
    }

    @Test func baggageKeysAreUnique() {
        var baggage = Baggage([.init(key: "a", value: "1"), .init(key: "b", value: "2"), .init(key: "a", value: "3")])
        #expect(entries(baggage) == ["a=3", "b=2"])
        baggage.set("b", "4", metadata: "m")
        baggage.remove("a")
        #expect(entries(baggage) == ["b=4;m"])
        #expect(baggage["b"] == "4" && baggage["a"] == nil)
    }
}
