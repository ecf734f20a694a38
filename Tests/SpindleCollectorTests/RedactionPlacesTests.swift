import SpindleModel
import Testing
@testable import SpindleCollector

@Suite struct RedactionPlacesTests {
    @Test func aSpanName_keepsItsShape_withTheSecretMasked() throws {
        let result = Redactor().redact(redactionBatch(name: "GET /users/bob@example.com/orders"))
        #expect(try onlySpan(result.batch).name == "GET /users/[REDACTED:email]/orders")
        #expect(result.counts[.email, .spanName] == 1)
        #expect(result.counts.total == 1)
    }

    @Test func aStatusMessage_isRedacted_andItsCodeKept() throws {
        let batch = redactionBatch(status: SpanStatus(code: .error, message: "card 4111 1111 1111 1111 declined for jane@example.com"))
        let result = Redactor().redact(batch)
        #expect(try onlySpan(result.batch).status == SpanStatus(code: .error, message: "card [REDACTED:card] declined for [REDACTED:email]"))
        #expect(result.counts[.cardNumber, .statusMessage] == 1)
        #expect(result.counts[.email, .statusMessage] == 1)
    }

    @Test func anEvent_hasItsNameAndAttributesRedacted() throws {
        let event = SpanEvent(timeUnixNano: 1500, name: "login failed for bob@example.com", attributes: [
            Attribute("exception.message", "Bearer abc123def456ghi789 rejected"),
            Attribute("password", "hunter2"),
            Attribute("exception.type", "AuthError"),
        ])
        let result = Redactor().redact(redactionBatch(events: [event]))
        #expect(try onlySpan(result.batch).events == [SpanEvent(timeUnixNano: 1500, name: "login failed for [REDACTED:email]", attributes: [
            Attribute("exception.message", "Bearer [REDACTED] rejected"),
            Attribute("password", "[REDACTED]"),
            Attribute("exception.type", "AuthError"),
        ])])
        #expect(result.counts[.email, .eventName] == 1)
        #expect(result.counts[.bearerToken, .eventAttribute] == 1)
        #expect(result.counts[.secretKey, .eventAttribute] == 1)
    }

    @Test func aLink_hasItsAttributesRedacted_andKeepsItsIdentity() throws {
        let link = SpanLink(traceID: traceB, spanID: SpanID(9), traceState: "vendor=1", attributes: [
            Attribute("messaging.url", "amqp://guest:guest@mq:5672/"), Attribute("api_key", "k-123"),
        ], flags: 1)
        let result = Redactor().redact(redactionBatch(links: [link]))
        #expect(try onlySpan(result.batch).links == [SpanLink(traceID: traceB, spanID: SpanID(9), traceState: "vendor=1", attributes: [
            Attribute("messaging.url", "amqp://guest:[REDACTED]@mq:5672/"), Attribute("api_key", "[REDACTED]"),
        ], flags: 1)])
        #expect(result.counts[.urlPassword, .linkAttribute] == 1)
        #expect(result.counts[.secretKey, .linkAttribute] == 1)
    }

    @Test func resourceAndScopeAttributes_areRedacted() throws {
        let batch = redactionBatch(
            resource: [Attribute("service.name", "checkout"), Attribute("deployment.db_password", "pg-secret"), Attribute("owner", "team@example.com")],
            scope: [Attribute("instrumentation.token", "t-1"), Attribute("library", "grpc")]
        )
        let result = Redactor().redact(batch)
        #expect(result.batch.resource(ofSpanAt: 0).attributes == [
            Attribute("service.name", "checkout"), Attribute("deployment.db_password", "[REDACTED]"), Attribute("owner", "[REDACTED:email]"),
        ])
        #expect(result.batch.scope(ofSpanAt: 0).attributes == [Attribute("instrumentation.token", "[REDACTED]"), Attribute("library", "grpc")])
        #expect(result.counts[.secretKey, .resourceAttribute] == 1)
        #expect(result.counts[.email, .resourceAttribute] == 1)
        #expect(result.counts[.secretKey, .scopeAttribute] == 1)
        #expect(result.batch.scope(ofSpanAt: 0).name == "tests")
    }

    @Test func anArrayUnderASecretKey_hasEveryStringMasked_countedOnce() throws {
        // OpenTelemetry records headers as string arrays.
        let batch = redactionBatch(attributes: [
            Attribute("http.request.header.authorization", .array(["Bearer abc123def456ghi789", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"])),
            Attribute("http.request.header.accept", .array(["application/json"])),
        ])
        let result = Redactor().redact(batch)
        #expect(try onlySpan(result.batch).attributes == [
            Attribute("http.request.header.authorization", .array(["[REDACTED]", "[REDACTED]"])),
            Attribute("http.request.header.accept", .array(["application/json"])),
        ])
        #expect(result.counts[.secretKey, .spanAttribute] == 1)
        #expect(result.counts.total == 1)
    }

    @Test func nestedKeyValueLists_areRedactedByKeyAndByValue_atAnyDepth() throws {
        let request: AttributeValue = .keyValueList([
            Attribute("headers", .keyValueList([Attribute("Cookie", "sid=abc"), Attribute("Accept", "text/html")])),
            Attribute("user", "bob@example.com"),
            Attribute("tags", .array([.string("vip"), .string("eve@example.org"), .int(7)])),
        ])
        let result = Redactor().redact(redactionBatch(attributes: [Attribute("request", request)]))
        #expect(try onlySpan(result.batch).attributes == [Attribute("request", .keyValueList([
            Attribute("headers", .keyValueList([Attribute("Cookie", "[REDACTED]"), Attribute("Accept", "text/html")])),
            Attribute("user", "[REDACTED:email]"),
            Attribute("tags", .array([.string("vip"), .string("[REDACTED:email]"), .int(7)])),
        ]))])
        #expect(result.counts[.secretKey, .spanAttribute] == 1)
        #expect(result.counts[.email, .spanAttribute] == 2)
        try result.batch.tables.validate()
    }

    @Test func underASecretKey_bytesBecomeTheMask_andNumbersAndBooleansStay() throws {
        let batch = redactionBatch(attributes: [
            Attribute("private_key", .bytes([0x30, 0x82, 0x01, 0x0A])),
            Attribute("pin_password", .int(1234)),
            Attribute("token", .bool(true)),
            Attribute("credentials", .keyValueList([Attribute("user", "svc"), Attribute("retries", .int(3))])),
        ])
        let result = Redactor().redact(batch)
        #expect(try onlySpan(result.batch).attributes == [
            Attribute("private_key", "[REDACTED]"),
            Attribute("pin_password", .int(1234)),
            Attribute("token", .bool(true)),
            Attribute("credentials", .keyValueList([Attribute("user", "[REDACTED]"), Attribute("retries", .int(3))])),
        ])
        #expect(result.counts[.secretKey, .spanAttribute] == 2)
    }

    @Test func keysAreNeverChanged_andBytesValuesAreNotScanned() throws {
        let batch = redactionBatch(attributes: [Attribute("bob@example.com", "ok"), Attribute("blob", .bytes(Array("bob@example.com".utf8)))])
        let result = Redactor().redact(batch)
        #expect(result.counts.isEmpty)
        #expect(sameTables(result.batch, batch))
    }

    @Test func severalResourcesScopesAndSpans_keepTheirGroupsAndOrder() throws {
        let secretSpan = SpanRecord(traceID: traceA, spanID: SpanID(2), name: "POST /login", startTimeUnixNano: 1, endTimeUnixNano: 2, attributes: [Attribute("password", "x")])
        let plainSpan = SpanRecord(traceID: traceB, spanID: SpanID(3), name: "GET /", startTimeUnixNano: 1, endTimeUnixNano: 2, attributes: [Attribute("http.method", "GET")])
        let batch = SpanBatch([
            ResourceSpans(resource: Resource(attributes: [Attribute("service.name", "a")]), scopeSpans: [
                ScopeSpans(scope: InstrumentationScope(name: "s1"), spans: [plainSpan, secretSpan]),
                ScopeSpans(scope: InstrumentationScope(name: "empty"), spans: []),
            ]),
            ResourceSpans(resource: Resource(attributes: [Attribute("service.name", "b")]), scopeSpans: [
                ScopeSpans(scope: InstrumentationScope(name: "s2"), spans: [plainSpan]),
            ]),
        ])
        var expectedSpan = secretSpan
        expectedSpan.attributes = [Attribute("password", "[REDACTED]")]
        let expected = SpanBatch([
            ResourceSpans(resource: Resource(attributes: [Attribute("service.name", "a")]), scopeSpans: [
                ScopeSpans(scope: InstrumentationScope(name: "s1"), spans: [plainSpan, expectedSpan]),
                ScopeSpans(scope: InstrumentationScope(name: "empty"), spans: []),
            ]),
            ResourceSpans(resource: Resource(attributes: [Attribute("service.name", "b")]), scopeSpans: [
                ScopeSpans(scope: InstrumentationScope(name: "s2"), spans: [plainSpan]),
            ]),
        ])
        let result = Redactor().redact(batch)
        #expect(result.batch.resourceSpans == expected.resourceSpans)
        try result.batch.tables.validate()
    }

    @Test func theRewrittenArena_holdsNoByteOfTheSecret() throws {
        let secret = "hunter2-\(UInt64.max)"
        let result = Redactor().redact(redactionBatch(attributes: [Attribute("password", .string(secret)), Attribute("http.method", "GET")]))
        let arena = result.batch.tables.arena
        #expect(!String(decoding: arena, as: UTF8.self).contains(secret))
        #expect(try onlySpan(result.batch).attributes == [Attribute("password", "[REDACTED]"), Attribute("http.method", "GET")])
    }
}
