import SpindleModel
public import SpindleStorage

/// The storage conformance suite: what every ``TraceWriter`` and ``TraceReader`` backend
/// must answer, case by case, about ``ConformanceFixtures``.
///
/// A backend's test file runs it in a few lines, one Swift Testing test per case:
///
/// ```swift
/// @Test(arguments: TraceStoreConformance.caseNames)
/// func conformance(_ name: String) async throws {
///     try await TraceStoreConformance.run(name, on: MyTraceStore(...))
/// }
/// ```
///
/// Each case gets a new, empty store. A failed check throws ``ConformanceFailure`` with
/// the expected and actual values. Every check is exact; where the protocol leaves a
/// choice open, the suite fixes it as follows, and every backend must agree:
/// - a search filter, the time range included, holds for one span, and summaries
///   describe the whole stored trace; equal trace starts order by trace ID ascending;
/// - a trace without a stored root is named after its earliest span; a resource
///   without a string `service.name` has no service (`rootService` is "", and it is
///   listed by neither ``TraceReader/services(timeRange:)`` nor a summary);
/// - `.equals` never matches a string against a number; `.range` matches only ints and
///   doubles; both look at the first attribute with the key;
/// - a search limit below 1 throws ``StorageError`` `.invalidArgument`;
/// - attribute values are text: strings as they are, ints in decimal, doubles as Swift
///   prints them (`200.0`, `0.75`), bools as `true`/`false`; sorted as text;
/// - ``TraceReader/operations(service:timeRange:)``, attribute names and values look at
///   spans *starting* in the range, like every other range in the protocol.
public enum TraceStoreConformance {
    public typealias Store = any TraceWriter & TraceReader

    /// One named check of the contract.
    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        public let body: @Sendable (_ store: Store) async throws -> Void

        public init(_ name: String, _ body: @escaping @Sendable (_ store: Store) async throws -> Void) {
            self.name = name
            self.body = body
        }

        public var description: String { name }
    }

    /// The names of ``cases``, in order: the arguments of a parameterized test.
    public static var caseNames: [String] { cases.map(\.name) }

    /// Runs the case named `name` against `store`, which must be empty.
    public static func run(_ name: String, on store: Store) async throws {
        guard let found = cases.first(where: { $0.name == name }) else {
            throw ConformanceFailure(caseName: name, check: "the case exists", expected: "one of \(caseNames)", actual: "no case named \(name)")
        }
        try await run(found, on: store)
    }

    /// Runs `conformanceCase` against `store`, which must be empty; failures name the case.
    public static func run(_ conformanceCase: Case, on store: Store) async throws {
        do {
            try await conformanceCase.body(store)
        } catch var failure as ConformanceFailure {
            failure.caseName = conformanceCase.name
            throw failure
        }
    }

    /// Runs every case, each against a new store from `makeStore`; stops at the first
    /// failure.
    public static func runAll(makeStore: @Sendable () async throws -> Store) async throws {
        for conformanceCase in cases {
            try await run(conformanceCase, on: try await makeStore())
        }
    }

    /// Every case, in a stable order.
    public static let cases: [Case] = reading + search + catalog
}

/// A check of the storage conformance suite that did not hold.
public struct ConformanceFailure: Error, CustomStringConvertible, Sendable {
    /// The case that failed (filled in by `TraceStoreConformance.run`).
    public var caseName: String
    /// What was checked, in words.
    public var check: String
    public var expected: String
    public var actual: String

    public init(caseName: String = "", check: String, expected: String, actual: String) {
        self.caseName = caseName
        self.check = check
        self.expected = expected
        self.actual = actual
    }

    public var description: String {
        "conformance case \(caseName): \(check)\n  expected: \(expected)\n  actual:   \(actual)"
    }
}

// MARK: - Checks

/// Throws when `actual` is not `expected`.
func expectEqual<Value: Equatable>(_ actual: Value, _ expected: Value, _ check: @autoclosure () -> String) throws(ConformanceFailure) {
    guard actual != expected else { return }
    throw ConformanceFailure(check: check(), expected: shortened(expected), actual: shortened(actual))
}

/// Throws when the arrays differ, naming the first difference.
func expectEqual<Element: Equatable>(_ actual: [Element], _ expected: [Element], _ check: @autoclosure () -> String) throws(ConformanceFailure) {
    guard actual != expected else { return }
    let firstDifference = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(actual.count, expected.count)
    var detail = "\(actual.count) elements, expected \(expected.count); first difference at \(firstDifference)"
    if firstDifference < actual.count { detail += ": \(shortened(actual[firstDifference]))" }
    if firstDifference < expected.count { detail += "\n  expected there: \(shortened(expected[firstDifference]))" }
    throw ConformanceFailure(check: check(), expected: shortened(expected), actual: shortened(actual) + "\n  " + detail)
}

/// Throws unless `body` throws ``StorageError`` with `code`.
func expectStorageError(_ code: StorageError.Code, _ check: String, _ body: () async throws(StorageError) -> Void) async throws(ConformanceFailure) {
    do {
        try await body()
    } catch {
        try expectEqual(error.code, code, "\(check): error code (error: \(error))")
        return
    }
    throw ConformanceFailure(check: check, expected: "StorageError .\(code.rawValue)", actual: "no error")
}

/// The text of `value`, cut to a readable length (fixtures hold a 100 KB value).
private func shortened(_ value: some Any) -> String {
    let text = String(describing: value)
    let limit = 2000
    guard text.count > limit else { return text }
    return "\(text.prefix(limit))… (\(text.count - limit) more characters)"
}

// MARK: - Helpers shared by the cases

typealias Fixtures = ConformanceFixtures

extension TraceStoreConformance {
    /// Writes every fixture in three batches: A and B, C, then D and E.
    static func writeFixtures(_ store: Store) async throws {
        try await store.write(Fixtures.batch(Fixtures.traceASpans + Fixtures.traceBSpans))
        try await store.write(Fixtures.batch(Fixtures.traceCSpans))
        try await store.write(Fixtures.batch(Fixtures.traceDSpans + Fixtures.traceESpans))
    }

    /// The stored spans of a trace, sorted, after checking the batch's tables are valid.
    static func readTrace(_ store: Store, _ id: TraceID, _ timeRange: TimeRange? = nil) async throws -> [Fixtures.StoredSpan]? {
        guard let batch = try await store.trace(id: id, timeRange: timeRange) else { return nil }
        do {
            try batch.tables.validate()
        } catch {
            throw ConformanceFailure(check: "trace \(id) comes back as valid tables", expected: "no invariant violation", actual: "\(error)")
        }
        return Fixtures.storedSpans(in: batch)
    }

    /// Checks that trace `id` reads back as exactly `expected`.
    static func expectTrace(_ store: Store, _ id: TraceID, _ timeRange: TimeRange? = nil, equals expected: [Fixtures.StoredSpan], _ check: String) async throws {
        let actual = try await readTrace(store, id, timeRange)
        guard let actual else {
            throw ConformanceFailure(check: check, expected: "\(expected.count) spans of trace \(id)", actual: "nil")
        }
        try expectEqual(actual, Fixtures.sorted(expected), check)
    }

    /// Checks that `query` finds exactly the traces `expected`, in that order, with
    /// their full fixture summaries.
    static func expectSearch(_ store: Store, _ query: TraceQuery, finds expected: [TraceID], _ check: String) async throws {
        let actual = try await store.search(query)
        try expectEqual(actual.map(\.traceID), expected, "\(check): trace IDs")
        let summaries = Dictionary(uniqueKeysWithValues: Fixtures.summaries.map { ($0.traceID, $0) })
        try expectEqual(actual, expected.compactMap { summaries[$0] }, "\(check): summaries")
    }

    /// Every span a scan of `timeRange` delivers, sorted.
    static func scanned(_ store: Store, _ timeRange: TimeRange) async throws -> [Fixtures.StoredSpan] {
        var spans: [Fixtures.StoredSpan] = []
        for try await batch in store.scan(timeRange: timeRange) {
            spans += Fixtures.storedSpans(in: batch)
        }
        return Fixtures.sorted(spans)
    }

    static func range(_ startMilliseconds: UInt64, plus startNanoseconds: UInt64 = 0, to endMilliseconds: UInt64, endPlus endNanoseconds: UInt64 = 0) -> TimeRange {
        TimeRange(start: Fixtures.time(startMilliseconds, plus: startNanoseconds), end: Fixtures.time(endMilliseconds, plus: endNanoseconds))
    }

    static func from(_ startMilliseconds: UInt64, plus startNanoseconds: UInt64 = 0) -> TimeRange {
        TimeRange(start: Fixtures.time(startMilliseconds, plus: startNanoseconds), end: .max)
    }

    static let millisecond: UInt64 = 1_000_000
}

// MARK: - Cases: writing, reading whole traces, scanning

extension TraceStoreConformance {
    static let reading: [Case] = [
        Case("emptyStore_answersNothing") { store in
            try expectEqual(try await readTrace(store, Fixtures.traceA), nil, "trace of an empty store")
            try expectEqual(try await store.search(TraceQuery()), [], "search of an empty store")
            try expectEqual(try await store.services(timeRange: nil), [], "services of an empty store")
            try expectEqual(try await store.operations(service: "frontend", timeRange: nil), [], "operations of an empty store")
            try expectEqual(try await store.attributeNames(scope: .span, timeRange: nil), [], "span attribute names of an empty store")
            try expectEqual(try await store.attributeValues(scope: .resource, key: "service.name", timeRange: nil, limit: 10), [], "resource attribute values of an empty store")
            try expectEqual(try await scanned(store, .all), [], "scan of an empty store")
        },
        Case("writtenTraces_readBackWhole") { store in
            try await writeFixtures(store)
            for trace in [Fixtures.traceA, Fixtures.traceB, Fixtures.traceC, Fixtures.traceD, Fixtures.traceE] {
                try await expectTrace(store, trace, equals: Fixtures.spans(of: trace), "trace \(trace) without a time range")
                try await expectTrace(store, trace, .all, equals: Fixtures.spans(of: trace), "trace \(trace) over all time")
            }
        },
        Case("unknownTrace_isNil") { store in
            try await writeFixtures(store)
            try expectEqual(try await readTrace(store, Fixtures.unknownTrace), nil, "a trace ID never written")
            try expectEqual(try await readTrace(store, Fixtures.unknownTrace, .all), nil, "a trace ID never written, over all time")
        },
        Case("traceTimeRange_findsTheWholeTraceOrNil") { store in
            try await writeFixtures(store)
            let traceA = Fixtures.traceASpans
            // A's spans start at T+1000, 1010, 1020, 1025 and 1100 ms.
            try await expectTrace(store, Fixtures.traceA, range(1000, to: 1000, endPlus: 1), equals: traceA, "a range holding only the first start (start inclusive)")
            try await expectTrace(store, Fixtures.traceA, range(1100, to: 1100, endPlus: 1), equals: traceA, "a range holding only the last start")
            try await expectTrace(store, Fixtures.traceA, range(1024, to: 1026), equals: traceA, "a range holding one start in the middle")
            try expectEqual(try await readTrace(store, Fixtures.traceA, range(1030, to: 1100)), nil, "a range inside the trace's lifetime holding no start")
            try expectEqual(try await readTrace(store, Fixtures.traceA, TimeRange(start: 0, end: Fixtures.time(1000))), nil, "a range ending at the first start (end exclusive)")
            try expectEqual(try await readTrace(store, Fixtures.traceA, from(1100, plus: 1)), nil, "a range starting after the last start")
            try expectEqual(try await readTrace(store, Fixtures.traceA, range(1000, plus: 1, to: 1010)), nil, "a range between two starts")
            try expectEqual(try await readTrace(store, Fixtures.traceB, range(1000, to: 2000)), nil, "trace B before it starts")
        },
        Case("lateOutOfOrderSpans_joinTheirTrace") { store in
            let spans = Dictionary(uniqueKeysWithValues: Fixtures.traceASpans.map { ($0.span.spanID, $0) })
            func spansA(_ ids: UInt64...) -> [Fixtures.StoredSpan] { ids.compactMap { spans[SpanID($0)] } }

            try await store.write(Fixtures.batch(spansA(0xA4, 0xA5)))
            try await expectTrace(store, Fixtures.traceA, equals: spansA(0xA4, 0xA5), "trace A after its first batch")
            try expectEqual(try await store.search(TraceQuery()), [TraceSummary(
                traceID: Fixtures.traceA, rootService: "payments", rootOperation: "charge",
                startTimeUnixNano: Fixtures.time(1025), endTimeUnixNano: Fixtures.time(1165), spanCount: 2, errorCount: 1,
                services: ["inventory", "payments"]
            )], "summary of A without its root: the earliest span names it")

            try await store.write(Fixtures.batch(Fixtures.traceBSpans))
            try await store.write(Fixtures.batch(spansA(0xA3, 0xA2)))
            try expectEqual(try await store.search(TraceQuery(service: "checkout")), [TraceSummary(
                traceID: Fixtures.traceA, rootService: "checkout", rootOperation: "POST /cart/checkout",
                startTimeUnixNano: Fixtures.time(1010), endTimeUnixNano: Fixtures.time(1210), spanCount: 4, errorCount: 2,
                services: ["checkout", "inventory", "payments"]
            )], "summary of A when a later batch brings an earlier span")

            try await store.write(Fixtures.batch(spansA(0xA1)))
            try await expectTrace(store, Fixtures.traceA, equals: Fixtures.traceASpans, "trace A once its root arrived last")
            try await expectTrace(store, Fixtures.traceB, equals: Fixtures.traceBSpans, "trace B, written between A's batches")
            try await expectSearch(store, TraceQuery(), finds: [Fixtures.traceB, Fixtures.traceA], "summaries once A is complete")
        },
        Case("mixedBatch_keepsEachSpanUnderItsOwnResourceAndScope") { store in
            let all = Fixtures.all
            // Every trace interleaved with the others, resources alternating span by span.
            let order = [4, 5, 10, 0, 13, 7, 2, 12, 8, 1, 6, 11, 3, 9]
            try await store.write(Fixtures.batch(order.map { all[$0] }))
            for trace in [Fixtures.traceA, Fixtures.traceB, Fixtures.traceC, Fixtures.traceD, Fixtures.traceE] {
                try await expectTrace(store, trace, equals: Fixtures.spans(of: trace), "trace \(trace) from one mixed batch")
            }
            try await expectSearch(store, TraceQuery(limit: 100), finds: Fixtures.summaries.map(\.traceID), "summaries from one mixed batch")
        },
        Case("sameBatchWrittenTwice_storesEachSpanOnce") { store in
            try await writeFixtures(store)
            try await writeFixtures(store)
            try await store.write(Fixtures.batch(Fixtures.all))
            try await expectTrace(store, Fixtures.traceA, equals: Fixtures.traceASpans, "trace A written three times")
            try await expectTrace(store, Fixtures.traceC, equals: Fixtures.traceCSpans, "trace C written three times")
            try await expectSearch(store, TraceQuery(limit: 100), finds: Fixtures.summaries.map(\.traceID), "span and error counts after rewrites")
            try expectEqual(try await scanned(store, .all), Fixtures.sorted(Fixtures.all), "scan after rewrites")
        },
        Case("overlappingBatches_storeEachSpanOnce") { store in
            let spans = Fixtures.traceASpans
            try await store.write(Fixtures.batch(Array(spans[0..<3])))
            try await store.write(Fixtures.batch(Array(spans[1..<5])))
            try await store.write(Fixtures.batch([spans[4], spans[0]]))
            try await expectTrace(store, Fixtures.traceA, equals: spans, "trace A from overlapping batches")
            try expectEqual(try await store.search(TraceQuery()), [Fixtures.summaryA], "summary of A from overlapping batches")
            try expectEqual(try await scanned(store, .all), Fixtures.sorted(spans), "scan after overlapping batches")
        },
        Case("summaryRoot_isTheSpanWithoutParentEvenWhenAChildStartsFirst") { store in
            // Clock skew: B2's host runs 15 ms behind, so the child starts before its root.
            var spans = Fixtures.traceBSpans
            spans[1].span.startTimeUnixNano = Fixtures.time(1990)
            try await store.write(Fixtures.batch(spans.reversed()))
            try expectEqual(try await store.search(TraceQuery()), [TraceSummary(
                traceID: Fixtures.traceB, rootService: "frontend", rootOperation: "GET /products",
                startTimeUnixNano: Fixtures.time(1990), endTimeUnixNano: Fixtures.time(2080), spanCount: 3, errorCount: 0,
                services: ["frontend", "inventory"]
            )], "summary of B whose child starts before its root")
        },
        Case("sameSpanIDInAnotherTrace_isAnotherSpan") { store in
            try await writeFixtures(store)
            var twin = Fixtures.traceASpans[0]
            twin.span.traceID = Fixtures.unknownTrace
            try await store.write(Fixtures.batch([twin]))
            try await expectTrace(store, Fixtures.traceA, equals: Fixtures.traceASpans, "trace A after a span with A1's span ID in another trace")
            try await expectTrace(store, Fixtures.unknownTrace, equals: [twin], "the other trace")
        },
        Case("scan_coversExactlyTheSpansStartingInRange") { store in
            try await writeFixtures(store)
            let all = Fixtures.all
            try expectEqual(try await scanned(store, .all), Fixtures.sorted(all), "scan over all time")
            // A3 starts at T+1020, A4 1025, A5 1100, B1 2000; B2 at 2005 is outside.
            try expectEqual(
                try await scanned(store, range(1020, to: 2005)),
                Fixtures.sorted([all[2], all[3], all[4], all[5]]),
                "scan from A3's start (inclusive) to B2's start (exclusive)"
            )
            try expectEqual(try await scanned(store, range(1020, plus: 1, to: 1025)), [], "scan between two starts")
            try expectEqual(try await scanned(store, from(5000, plus: 1)), [], "scan after the last start")
            try expectEqual(try await scanned(store, from(5000)), Fixtures.traceESpans, "scan from the last start")
        },
    ]
}

// MARK: - Cases: search

extension TraceStoreConformance {
    /// One search and the traces it must find, most recent first.
    struct Expectation: Sendable {
        let label: String
        let query: TraceQuery
        let traces: [TraceID]

        init(_ label: String, _ query: TraceQuery, _ traces: [TraceID]) {
            self.label = label
            self.query = query
            self.traces = traces
        }
    }

    /// A case that writes the fixtures and checks each search of `expectations`.
    static func searchCase(_ name: String, _ expectations: [Expectation]) -> Case {
        Case(name) { store in
            try await writeFixtures(store)
            for expectation in expectations {
                try await expectSearch(store, expectation.query, finds: expectation.traces, expectation.label)
            }
        }
    }

    static func span(_ key: String, _ condition: AttributeFilter.Condition) -> AttributeFilter {
        AttributeFilter(scope: .span, key: key, condition)
    }

    static func resource(_ key: String, _ condition: AttributeFilter.Condition) -> AttributeFilter {
        AttributeFilter(scope: .resource, key: key, condition)
    }

    static let (a, b, c, d, e) = (Fixtures.traceA, Fixtures.traceB, Fixtures.traceC, Fixtures.traceD, Fixtures.traceE)

    static let search: [Case] = [
        searchCase("searchWithoutFilters_returnsEveryTraceMostRecentFirst", [
            Expectation("no filters", TraceQuery(limit: 100), [e, d, c, b, a]),
            Expectation("all of time, explicitly", TraceQuery(timeRange: .all, limit: 5), [e, d, c, b, a]),
        ]),
        searchCase("searchByService_matchesTheResourceServiceName", [
            Expectation("service frontend", TraceQuery(service: "frontend"), [d, b, a]),
            Expectation("service payments", TraceQuery(service: "payments"), [c, a]),
            Expectation("service checkout", TraceQuery(service: "checkout"), [c, a]),
            Expectation("service inventory", TraceQuery(service: "inventory"), [b, a]),
            Expectation("service names are case-sensitive", TraceQuery(service: "Frontend"), []),
            Expectation("an unknown service", TraceQuery(service: "nope"), []),
        ]),
        searchCase("searchByOperation_matchesTheWholeSpanName", [
            Expectation("operation charge", TraceQuery(operation: "charge"), [a]),
            Expectation("operation GET /products", TraceQuery(operation: "GET /products"), [b]),
            Expectation("operation heartbeat", TraceQuery(operation: "heartbeat"), [d]),
            Expectation("operation refund", TraceQuery(operation: "refund"), [c]),
            Expectation("a prefix of a name is not the name", TraceQuery(operation: "GET"), []),
            Expectation("names are case-sensitive", TraceQuery(operation: "Charge"), []),
        ]),
        searchCase("searchByKind_matchesTheSpanKind", [
            Expectation("kind server", TraceQuery(kind: .server), [b, a]),
            Expectation("kind client", TraceQuery(kind: .client), [d, b, a]),
            Expectation("kind internal", TraceQuery(kind: .internal), [e, c, b]),
            Expectation("kind producer", TraceQuery(kind: .producer), [c]),
            Expectation("kind consumer", TraceQuery(kind: .consumer), [c]),
            Expectation("kind unspecified", TraceQuery(kind: .unspecified), [d]),
        ]),
        searchCase("searchByStatus_matchesTheStatusCode", [
            Expectation("status error", TraceQuery(status: .error), [c, a]),
            Expectation("status ok", TraceQuery(status: .ok), [b, a]),
            Expectation("status unset", TraceQuery(status: .unset), [e, d, c, b, a]),
        ]),
        searchCase("searchByDuration_boundsAreInclusive", [
            Expectation("at least 500 ms (C1 lasts exactly 500 ms)", TraceQuery(minDuration: 500 * millisecond), [c]),
            Expectation("at least 500 ms + 1 ns", TraceQuery(minDuration: 500 * millisecond + 1), []),
            Expectation("at least 200 ms (A2 lasts exactly 200 ms)", TraceQuery(minDuration: 200 * millisecond), [c, a]),
            Expectation("at most 0 (D1 starts and ends together)", TraceQuery(maxDuration: 0), [d]),
            Expectation("at most 1 ms (B3 lasts exactly 1 ms)", TraceQuery(maxDuration: millisecond), [d, b]),
            Expectation("at most 1 ms - 1 ns", TraceQuery(maxDuration: millisecond - 1), [d]),
            Expectation("between 60 and 80 ms (B2 and B1 on the bounds)", TraceQuery(minDuration: 60 * millisecond, maxDuration: 80 * millisecond), [b]),
            Expectation("strictly inside 60 and 80 ms", TraceQuery(minDuration: 60 * millisecond + 1, maxDuration: 80 * millisecond - 1), []),
            Expectation("exactly 2 ms (D2)", TraceQuery(minDuration: 2 * millisecond, maxDuration: 2 * millisecond), [d]),
        ]),
        searchCase("searchBySpanAttributeEquals_comparesByType", [
            Expectation("string", TraceQuery(attributes: [span("http.request.method", .equals("POST"))]), [a]),
            Expectation("string, case-sensitive", TraceQuery(attributes: [span("http.request.method", .equals("post"))]), []),
            Expectation("unicode string", TraceQuery(attributes: [span("message", .equals(.string(Fixtures.unicodeValue)))]), [a]),
            Expectation("unicode key", TraceQuery(attributes: [span("ключ", .equals("значение"))]), [e]),
            Expectation("empty string", TraceQuery(attributes: [span("note", .equals(""))]), [a]),
            Expectation("100 KB string", TraceQuery(attributes: [span("payload", .equals(.string(Fixtures.hugeValue)))]), [a]),
            Expectation("100 KB string but the last character", TraceQuery(attributes: [span("payload", .equals(.string(String(Fixtures.hugeValue.dropLast()))))]), []),
            Expectation("int matches ints and the equal double", TraceQuery(attributes: [span("http.response.status_code", .equals(.int(200)))]), [d, b, a]),
            Expectation("double matches doubles and the equal int", TraceQuery(attributes: [span("http.response.status_code", .equals(.double(200)))]), [d, b, a]),
            Expectation("a string never equals a number", TraceQuery(attributes: [span("http.response.status_code", .equals("200"))]), []),
            Expectation("double", TraceQuery(attributes: [span("payment.amount", .equals(.double(149.99)))]), [a]),
            Expectation("int against a double attribute", TraceQuery(attributes: [span("payment.amount", .equals(.int(20)))]), [c]),
            Expectation("a fractional double never equals an int", TraceQuery(attributes: [span("payment.amount", .equals(.double(20.5)))]), []),
            Expectation("bool true", TraceQuery(attributes: [span("user.premium", .equals(.bool(true)))]), [a]),
            Expectation("bool false", TraceQuery(attributes: [span("user.premium", .equals(.bool(false)))]), [b]),
            Expectation("a bool never equals an int", TraceQuery(attributes: [span("user.premium", .equals(.int(1)))]), []),
            Expectation("a span filter ignores resource attributes", TraceQuery(attributes: [span("service.version", .equals("2.0.1"))]), []),
            Expectation("an unknown key", TraceQuery(attributes: [span("missing", .equals("x"))]), []),
        ]),
        searchCase("searchByResourceAttributeEquals_comparesByType", [
            Expectation("string", TraceQuery(attributes: [resource("service.version", .equals("2.0.1"))]), [c, a]),
            Expectation("unicode string", TraceQuery(attributes: [resource("team", .equals("équipe données"))]), [b, a]),
            Expectation("int", TraceQuery(attributes: [resource("host.cpu.count", .equals(.int(16)))]), [c, a]),
            Expectation("double against an int attribute", TraceQuery(attributes: [resource("host.cpu.count", .equals(.double(16)))]), [c, a]),
            Expectation("int against a double attribute", TraceQuery(attributes: [resource("deployment.weight", .equals(.int(1)))]), [c, a]),
            Expectation("double", TraceQuery(attributes: [resource("deployment.weight", .equals(.double(0.75)))]), [d, b, a]),
            Expectation("bool true", TraceQuery(attributes: [resource("feature.enabled", .equals(.bool(true)))]), [d, b, a]),
            Expectation("bool false", TraceQuery(attributes: [resource("feature.enabled", .equals(.bool(false)))]), [c, a]),
            Expectation("service.name as an attribute", TraceQuery(attributes: [resource("service.name", .equals("frontend"))]), [d, b, a]),
            Expectation("a resource filter ignores span attributes", TraceQuery(attributes: [resource("http.request.method", .equals("GET"))]), []),
        ]),
        searchCase("searchByNumericRange_boundsAreInclusive", [
            Expectation("at least 500", TraceQuery(attributes: [span("http.response.status_code", .range(min: 500, max: nil))]), [a]),
            Expectation("100 to 299, ints and doubles", TraceQuery(attributes: [span("http.response.status_code", .range(min: 100, max: 299))]), [d, b, a]),
            Expectation("exactly 200 to 200", TraceQuery(attributes: [span("http.response.status_code", .range(min: 200, max: 200))]), [d, b, a]),
            Expectation("a fractional lower bound on ints", TraceQuery(attributes: [span("http.response.status_code", .range(min: 200.5, max: nil))]), [a]),
            Expectation("below every value", TraceQuery(attributes: [span("http.response.status_code", .range(min: nil, max: 199.99))]), []),
            Expectation("doubles within 0.4 to 0.6", TraceQuery(attributes: [span("retry.ratio", .range(min: 0.4, max: 0.6))]), [a]),
            Expectation("doubles exactly 0", TraceQuery(attributes: [span("retry.ratio", .range(min: 0, max: 0))]), [b]),
            Expectation("ints at least 1000", TraceQuery(attributes: [span("db.rows", .range(min: 1000, max: nil))]), [b]),
            Expectation("a string attribute is never in a range", TraceQuery(attributes: [span("http.route", .range(min: nil, max: nil))]), []),
            Expectation("a bool attribute is never in a range", TraceQuery(attributes: [span("user.premium", .range(min: 0, max: 1))]), []),
            Expectation("resource ints at least 10", TraceQuery(attributes: [resource("host.cpu.count", .range(min: 10, max: nil))]), [c, a]),
            Expectation("resource doubles at most 0.8", TraceQuery(attributes: [resource("deployment.weight", .range(min: nil, max: 0.8))]), [d, b, a]),
        ]),
        searchCase("searchByAttributeExists_matchesAnyValue", [
            Expectation("a bool", TraceQuery(attributes: [span("cache.hit", .exists)]), [b]),
            Expectation("an empty value", TraceQuery(attributes: [span("none", .exists)]), [a]),
            Expectation("an empty string", TraceQuery(attributes: [span("note", .exists)]), [a]),
            Expectation("bytes", TraceQuery(attributes: [span("digest", .exists)]), [a]),
            Expectation("a key no span has", TraceQuery(attributes: [span("missing", .exists)]), []),
            Expectation("a resource key", TraceQuery(attributes: [resource("region", .exists)]), [c, a]),
            Expectation("the resource key of a resource without a service", TraceQuery(attributes: [resource("host.name", .exists)]), [e]),
            Expectation("a scope attribute is neither span nor resource", TraceQuery(attributes: [span("db.driver", .exists)]), []),
        ]),
        searchCase("searchFilters_allHoldForTheSameSpan", [
            Expectation("service and kind", TraceQuery(service: "checkout", kind: .client), [a]),
            Expectation("service and another kind", TraceQuery(service: "checkout", kind: .consumer), [c]),
            Expectation("service and operation on different spans of one trace", TraceQuery(service: "frontend", operation: "charge"), []),
            Expectation("operation and kind", TraceQuery(operation: "charge", kind: .server), [a]),
            Expectation("operation, kind and status", TraceQuery(operation: "charge", kind: .client, status: .error), [a]),
            Expectation("operation and a kind it never has", TraceQuery(operation: "charge", kind: .internal), []),
            Expectation(
                "service, status and a span attribute",
                TraceQuery(service: "payments", status: .error, attributes: [span("payment.attempt", .equals(.int(2)))]), [a]
            ),
            Expectation(
                "the same with another attribute value",
                TraceQuery(service: "payments", status: .error, attributes: [span("payment.attempt", .equals(.int(1)))]), [c]
            ),
            Expectation(
                "a resource attribute and a span attribute",
                TraceQuery(attributes: [resource("host.cpu.count", .equals(.int(4))), span("http.response.status_code", .equals(.int(502)))]), [a]
            ),
            Expectation(
                "a resource attribute and a span attribute of another resource's span",
                TraceQuery(attributes: [resource("host.cpu.count", .equals(.int(8))), span("http.response.status_code", .equals(.int(502)))]), []
            ),
            Expectation(
                "two span attributes held by different spans of one trace",
                TraceQuery(attributes: [span("db.system", .equals("postgresql")), span("cache.hit", .exists)]), []
            ),
            Expectation(
                "attributes and a duration",
                TraceQuery(minDuration: 100 * millisecond, attributes: [span("user.premium", .exists), span("http.response.status_code", .equals(.int(200)))]), [a]
            ),
            Expectation("a time range and a service", TraceQuery(timeRange: range(1000, to: 2000), service: "frontend"), [a]),
            Expectation("a service and a time range holding only another service's span", TraceQuery(timeRange: range(1020, to: 1021), service: "frontend"), []),
        ]),
        searchCase("searchTimeRange_startInclusiveEndExclusive", [
            Expectation("B's starts, up to C1's start", TraceQuery(timeRange: range(2000, to: 3000)), [b]),
            Expectation("only C1's start", TraceQuery(timeRange: range(3000, to: 3000, endPlus: 1)), [c]),
            Expectation("only A1's start", TraceQuery(timeRange: range(1000, to: 1000, endPlus: 1)), [a]),
            Expectation("after A1's start, before B1's", TraceQuery(timeRange: range(1000, plus: 1, to: 2000)), [a]),
            Expectation("ending at A1's start", TraceQuery(timeRange: TimeRange(start: 0, end: Fixtures.time(1000))), []),
            Expectation("after E1's start", TraceQuery(timeRange: from(5000, plus: 1)), []),
            Expectation("from D2's start", TraceQuery(timeRange: from(4001)), [e, d]),
            Expectation("within A's lifetime but between starts", TraceQuery(timeRange: range(1030, to: 1100)), []),
        ]),
        searchCase("searchLimit_keepsTheMostRecentTraces", [
            Expectation("limit 1", TraceQuery(limit: 1), [e]),
            Expectation("limit 2", TraceQuery(limit: 2), [e, d]),
            Expectation("limit 5, all", TraceQuery(limit: 5), [e, d, c, b, a]),
            Expectation("limit 6, more than there are", TraceQuery(limit: 6), [e, d, c, b, a]),
            Expectation("limit 1 with a filter", TraceQuery(kind: .client, limit: 1), [d]),
            Expectation("limit 2 with a filter", TraceQuery(status: .error, limit: 2), [c, a]),
        ]),
        Case("searchLimitBelowOne_isRejected") { store in
            try await writeFixtures(store)
            try await expectStorageError(.invalidArgument, "search with limit 0") { () async throws(StorageError) in
                _ = try await store.search(TraceQuery(limit: 0))
            }
            try await expectStorageError(.invalidArgument, "search with limit -1") { () async throws(StorageError) in
                _ = try await store.search(TraceQuery(limit: -1))
            }
        },
    ]
}

// MARK: - Cases: services, operations, attribute autocomplete

extension TraceStoreConformance {
    static let catalog: [Case] = [
        Case("services_areDistinctSortedAndInRange") { store in
            try await writeFixtures(store)
            let everyService = ["checkout", "frontend", "inventory", "payments"]
            try expectEqual(try await store.services(timeRange: nil), everyService, "services of all time")
            try expectEqual(try await store.services(timeRange: .all), everyService, "services over .all")
            try expectEqual(try await store.services(timeRange: range(2000, to: 3000)), ["frontend", "inventory"], "services of trace B's starts")
            try expectEqual(try await store.services(timeRange: range(3000, to: 3100)), ["payments"], "services up to C2's start (exclusive)")
            try expectEqual(try await store.services(timeRange: range(3200, to: 3200, endPlus: 1)), ["checkout"], "services of C3's start alone")
            try expectEqual(try await store.services(timeRange: from(5000)), [], "a resource without service.name has no service")
        },
        Case("operations_haveNamesAndKindsSortedPerService") { store in
            try await writeFixtures(store)
            try expectEqual(try await store.operations(service: "frontend", timeRange: nil), [
                Operation(name: "GET /checkout", kind: .server), Operation(name: "GET /products", kind: .server),
                Operation(name: "heartbeat", kind: .unspecified), Operation(name: "heartbeat", kind: .client),
            ], "operations of frontend: one name with two kinds sorts by kind")
            try expectEqual(try await store.operations(service: "checkout", timeRange: nil), [
                Operation(name: "POST /cart/checkout", kind: .server), Operation(name: "charge", kind: .client),
                Operation(name: "consume refund", kind: .consumer),
            ], "operations of checkout")
            try expectEqual(try await store.operations(service: "payments", timeRange: .all), [
                Operation(name: "charge", kind: .server), Operation(name: "publish refund", kind: .producer),
                Operation(name: "refund", kind: .internal),
            ], "operations of payments")
            try expectEqual(try await store.operations(service: "inventory", timeRange: nil), [
                Operation(name: "SELECT products", kind: .client), Operation(name: "SELECT stock", kind: .client),
                Operation(name: "cache.lookup", kind: .internal),
            ], "operations of inventory")
            try expectEqual(try await store.operations(service: "frontend", timeRange: range(4000, to: 5000)), [
                Operation(name: "heartbeat", kind: .unspecified), Operation(name: "heartbeat", kind: .client),
            ], "operations of frontend in trace D's time")
            try expectEqual(try await store.operations(service: "frontend", timeRange: from(4000, plus: 1)), [
                Operation(name: "heartbeat", kind: .client),
            ], "operations of frontend after D1's start")
            try expectEqual(try await store.operations(service: "checkout", timeRange: range(1000, to: 1020)), [
                Operation(name: "POST /cart/checkout", kind: .server),
            ], "operations of checkout up to A3's start (exclusive)")
            try expectEqual(try await store.operations(service: "nope", timeRange: nil), [], "operations of an unknown service")
        },
        Case("attributeNames_perScopeSortedAndInRange") { store in
            try await writeFixtures(store)
            try expectEqual(try await store.attributeNames(scope: .span, timeRange: nil), [
                "cache.hit", "cart.items", "cart.total", "db.rows", "db.system", "digest",
                "http.request.method", "http.response.status_code", "http.route", "message", "messaging.system",
                "meta", "none", "note", "payload", "payment.amount", "payment.attempt", "payment.card.last4",
                "peer.service", "retry.ratio", "tags", "user.premium", "ключ",
            ], "span attribute names of all time (not event, link or scope attributes)")
            try expectEqual(try await store.attributeNames(scope: .resource, timeRange: nil), [
                "deployment.weight", "feature.enabled", "host.cpu.count", "host.name", "region",
                "service.name", "service.version", "team",
            ], "resource attribute names of all time")
            try expectEqual(try await store.attributeNames(scope: .span, timeRange: range(2000, to: 3000)), [
                "cache.hit", "db.rows", "db.system", "http.request.method", "http.response.status_code",
                "retry.ratio", "user.premium",
            ], "span attribute names of trace B's starts")
            try expectEqual(try await store.attributeNames(scope: .resource, timeRange: from(4000)), [
                "deployment.weight", "feature.enabled", "host.cpu.count", "host.name", "service.name", "service.version",
            ], "resource attribute names from D1's start")
            try expectEqual(try await store.attributeNames(scope: .resource, timeRange: range(3000, to: 3200)), [
                "host.cpu.count", "region", "service.name", "service.version",
            ], "resource attribute names up to C3's start (exclusive)")
            try expectEqual(try await store.attributeNames(scope: .span, timeRange: from(5000, plus: 1)), [], "span attribute names after the last start")
        },
        Case("attributeValues_areTextSortedAndLimited") { store in
            try await writeFixtures(store)
            func values(_ scope: AttributeScope, _ key: String, _ timeRange: TimeRange? = nil, limit: Int = 100) async throws -> [String] {
                try await store.attributeValues(scope: scope, key: key, timeRange: timeRange, limit: limit)
            }
            try expectEqual(try await values(.span, "http.response.status_code"), ["200", "200.0", "502"], "ints and a double of one key")
            try expectEqual(try await values(.span, "http.response.status_code", limit: 2), ["200", "200.0"], "the first two values")
            try expectEqual(try await values(.span, "http.response.status_code", limit: 1), ["200"], "the first value")
            try expectEqual(try await values(.span, "retry.ratio"), ["0.0", "0.5", "2.0"], "doubles")
            try expectEqual(try await values(.span, "user.premium"), ["false", "true"], "bools")
            try expectEqual(try await values(.span, "http.request.method"), ["GET", "POST"], "strings, each once")
            try expectEqual(try await values(.span, "message"), [Fixtures.unicodeValue], "a unicode string")
            try expectEqual(try await values(.span, "ключ"), ["значение"], "the value of a unicode key")
            try expectEqual(try await values(.span, "note"), [""], "an empty string")
            try expectEqual(try await values(.span, "payload"), [Fixtures.hugeValue], "a 100 KB string")
            try expectEqual(try await values(.span, "http.request.method", range(2000, to: 3000)), ["GET"], "strings of trace B's starts")
            try expectEqual(try await values(.span, "missing"), [], "an unknown key")
            try expectEqual(try await values(.span, "service.version"), [], "a resource key asked in span scope")
            try expectEqual(try await values(.resource, "host.cpu.count"), ["16", "4", "8"], "resource ints, sorted as text")
            try expectEqual(try await values(.resource, "deployment.weight"), ["0.75", "1.0"], "resource doubles")
            try expectEqual(try await values(.resource, "feature.enabled"), ["false", "true"], "resource bools")
            try expectEqual(try await values(.resource, "team"), ["équipe données"], "a unicode resource value")
            try expectEqual(try await values(.resource, "service.name"), ["checkout", "frontend", "inventory", "payments"], "service names")
            try expectEqual(try await values(.resource, "service.name", from(4000)), ["frontend"], "service names from D1's start")
            try expectEqual(try await values(.resource, "service.version", range(3000, to: 3200)), ["2.0.1"], "versions up to C3's start (exclusive)")
        },
    ]
}
