import SpindleModel
import SpindleQuery
import SpindleStorage
import Testing

/// What a query pushes into storage: only conditions every match satisfies on one span.
@Suite struct TraceQLPlannerTests {
    static let range = TimeRange(start: 1_000, end: 2_000)

    static func pushed(_ query: String) throws -> TraceQuery {
        try TraceQLQuery.parse(query).storageQuery(timeRange: range, limit: 7)
    }

    static func query(
        service: String? = nil, operation: String? = nil, kind: SpanKind? = nil, status: StatusCode? = nil,
        minDuration: UInt64? = nil, maxDuration: UInt64? = nil, attributes: [AttributeFilter] = []
    ) -> TraceQuery {
        TraceQuery(
            timeRange: range, service: service, operation: operation, kind: kind, status: status,
            minDuration: minDuration, maxDuration: maxDuration, attributes: attributes, limit: 7
        )
    }

    @Test func emptyFilter_pushesOnlyTheTimeRange() throws {
        #expect(try Self.pushed("{}") == Self.query())
        #expect(try Self.pushed("{} | count() > 2") == Self.query())
    }

    @Test func conjunctionOfIntrinsics_pushesEachField() throws {
        #expect(try Self.pushed("{ resource.service.name = \"checkout\" && name = \"charge\" && kind = client && status = error && duration > 100ms }")
            == Self.query(service: "checkout", operation: "charge", kind: .client, status: .error, minDuration: 100_000_001))
        #expect(try Self.pushed("{ span:name = \"a\" && span:kind = server && span:status = ok }") == Self.query(operation: "a", kind: .server, status: .ok))
    }

    @Test func durationBounds_becomeInclusive() throws {
        #expect(try Self.pushed("{ duration >= 1s }") == Self.query(minDuration: 1_000_000_000))
        #expect(try Self.pushed("{ duration < 1s }") == Self.query(maxDuration: 999_999_999))
        #expect(try Self.pushed("{ duration <= 1s }") == Self.query(maxDuration: 1_000_000_000))
        #expect(try Self.pushed("{ span:duration = 5ms }") == Self.query(minDuration: 5_000_000, maxDuration: 5_000_000))
        #expect(try Self.pushed("{ duration > 10ms && duration > 20ms && duration < 1s }") == Self.query(minDuration: 20_000_001, maxDuration: 999_999_999))
        #expect(try Self.pushed("{ 1s < duration }") == Self.query(minDuration: 1_000_000_001))
        // Conditions no span can meet, or that every span meets, are not pushed.
        #expect(try Self.pushed("{ duration < 0 }") == Self.query())
        #expect(try Self.pushed("{ duration >= 0 }") == Self.query())
        #expect(try Self.pushed("{ duration != 5ms }") == Self.query())
        #expect(try Self.pushed("{ duration > 1.5 }") == Self.query())
    }

    @Test func attributes_pushEqualityRangesAndExistence() throws {
        #expect(try Self.pushed("{ span.http.status_code = 200 }") == Self.query(attributes: [AttributeFilter(scope: .span, key: "http.status_code", .equals(.int(200)))]))
        #expect(try Self.pushed("{ resource.region = \"eu\" && span.ok = true && span.ratio = 0.5 }") == Self.query(attributes: [
            AttributeFilter(scope: .resource, key: "region", .equals(.string("eu"))),
            AttributeFilter(scope: .span, key: "ok", .equals(.bool(true))),
            AttributeFilter(scope: .span, key: "ratio", .equals(.double(0.5))),
        ].sorted { "\($0)" < "\($1)" }))
        #expect(try Self.pushed("{ span.x > 5 }") == Self.query(attributes: [AttributeFilter(scope: .span, key: "x", .range(min: 5, max: nil))]))
        #expect(try Self.pushed("{ 5 >= span.x }") == Self.query(attributes: [AttributeFilter(scope: .span, key: "x", .range(min: nil, max: 5))]))
        #expect(try Self.pushed("{ span.latency > 1s }") == Self.query(attributes: [AttributeFilter(scope: .span, key: "latency", .range(min: 1e9, max: nil))]))
        #expect(try Self.pushed("{ span.x != nil }") == Self.query(attributes: [AttributeFilter(scope: .span, key: "x", .exists)]))
        #expect(try Self.pushed("{ resource.service.name != nil }") == Self.query(attributes: [AttributeFilter(scope: .resource, key: "service.name", .exists)]))
        #expect(try Self.pushed("{ resource.service.name = 5 }") == Self.query(attributes: [AttributeFilter(scope: .resource, key: "service.name", .equals(.int(5)))]))
    }

    @Test func conditionsStorageCannotHold_areNotPushed() throws {
        #expect(try Self.pushed("{ span.x = nil }") == Self.query())
        #expect(try Self.pushed("{ span.x != 5 }") == Self.query())
        #expect(try Self.pushed("{ .x = 1 }") == Self.query())
        #expect(try Self.pushed("{ event.x = 1 || link.y = 2 }") == Self.query())
        #expect(try Self.pushed("{ name =~ \"a.*\" }") == Self.query())
        #expect(try Self.pushed("{ !(name = \"a\") }") == Self.query())
        #expect(try Self.pushed("{ span.x + 1 = 2 }") == Self.query())
        #expect(try Self.pushed("{ span.x = span.y }") == Self.query())
        // A double cannot hold 2^53 + 1 exactly: a range on it could lose a match.
        #expect(try Self.pushed("{ span.x < 9007199254740993 }") == Self.query())
        #expect(try Self.pushed("{ span.x = 9007199254740993 }") == Self.query(attributes: [AttributeFilter(scope: .span, key: "x", .equals(.int(9_007_199_254_740_993)))]))
    }

    @Test func alternatives_pushOnlyWhatEverySideShares() throws {
        #expect(try Self.pushed("{ name = \"a\" || name = \"b\" }") == Self.query())
        #expect(try Self.pushed("{ (resource.service.name = \"x\" && name = \"a\") || (resource.service.name = \"x\" && name = \"b\") }") == Self.query(service: "x"))
        #expect(try Self.pushed("{ resource.service.name = \"x\" && name = \"a\" } || { resource.service.name = \"x\" }") == Self.query(service: "x"))
        #expect(try Self.pushed("{ name = \"a\" } || { name = \"b\" }") == Self.query())
        let many = (0..<300).map { "{ resource.service.name = \"x\" && name = \"n\($0)\" && trace:rootName = \"r\($0)\" }" }
        #expect(try Self.pushed(many.joined(separator: " || ")) == Self.query(service: "x"))
    }

    @Test func spansetAnd_pushesTheLikeliestSelectiveSide() throws {
        // A name narrows more than a service and a kind; more conditions break ties.
        #expect(try Self.pushed("{ name = \"a\" } && { resource.service.name = \"x\" && kind = server }") == Self.query(operation: "a"))
        #expect(try Self.pushed("{ kind = client } && { resource.service.name = \"x\" && kind = server }") == Self.query(service: "x", kind: .server))
        #expect(try Self.pushed("{ name = \"a\" } && { name = \"b\" }") == Self.query(operation: "a"))
        // An error status or an attribute value beats a service.
        #expect(try Self.pushed("{ resource.service.name = \"x\" } >> { status = error }") == Self.query(status: .error))
        #expect(try Self.pushed("{ resource.service.name = \"x\" } && { span.user = \"u\" }") == Self.query(attributes: [AttributeFilter(scope: .span, key: "user", .equals(.string("u")))]))
    }

    @Test func structuralOperators_pushWhatTheirSidesImply() throws {
        #expect(try Self.pushed("{ name = \"a\" } > { name = \"b\" && kind = client }") == Self.query(operation: "b", kind: .client))
        #expect(try Self.pushed("{ name = \"a\" && kind = server } >> { name = \"b\" }") == Self.query(operation: "a", kind: .server))
        // Negated operators match even when the left side has no spans.
        #expect(try Self.pushed("{ name = \"a\" && kind = server } !> { name = \"b\" }") == Self.query(operation: "b"))
        #expect(try Self.pushed("{ name = \"a\" && kind = server } &~ { name = \"b\" }") == Self.query(operation: "a", kind: .server))
    }

    @Test func pipelineFilters_narrowTheSpansOfEarlierStages() throws {
        #expect(try Self.pushed("{ resource.service.name = \"a\" } | { status = error }") == Self.query(service: "a", status: .error))
        #expect(try Self.pushed("{ resource.service.name = \"a\" } | by(name) | count() > 1 | { status = error }") == Self.query(service: "a", status: .error))
        #expect(try Self.pushed("({ name = \"a\" } | count() > 2) && {}") == Self.query(operation: "a"))
    }

    @Test func rootIntrinsics_pushConditionsOnTheRootSpan() throws {
        #expect(try Self.pushed("{ trace:rootService = \"frontend\" && trace:rootName = \"GET /\" }") == Self.query(service: "frontend", operation: "GET /"))
        #expect(try Self.pushed("{ rootServiceName = \"frontend\" && name = \"db\" && kind = client }") == Self.query(operation: "db", kind: .client))
        #expect(try Self.pushed("{ trace:duration > 1s }") == Self.query())
    }

    @Test func limit_isAtLeastOne() throws {
        #expect(try TraceQLQuery.parse("{}").storageQuery(timeRange: .all, limit: 0).limit == 1)
    }
}
