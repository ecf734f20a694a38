import Foundation
import SpindleClickHouse
import SpindleModel
import SpindleStorage
import SpindleTesting
import Testing

/// Schema, writer and SQL escaping against a real `clickhouse-server` (one per suite).
@Suite(.clickHouseServer, .serialized)
struct ClickHouseTraceWriterTests {
    typealias StoredSpan = ConformanceFixtures.StoredSpan

    // MARK: Schema

    @Test func migrate_createsTheSchemaOnceAndRecordsItsVersion() async throws {
        let client = try ClickHouseServerScope.client()
        let schema = ClickHouseSchema(client: client, database: "spindle_migrate")
        let before = try await schema.appliedVersion()
        #expect(before == 0)

        let first = try await schema.migrate()
        #expect(first == ClickHouseSchema.currentVersion)
        let tables = try await client.query("SELECT name, engine FROM system.tables WHERE database = 'spindle_migrate' ORDER BY name FORMAT TabSeparated")
        #expect(String(decoding: tables, as: UTF8.self) == """
            span_index\tReplacingMergeTree
            span_index_mv\tMaterializedView
            spans\tReplacingMergeTree
            spindle_schema\tReplacingMergeTree
            trace_index\tReplacingMergeTree
            trace_index_mv\tMaterializedView

            """)
        let createSpans = try await client.query("SHOW CREATE TABLE spindle_migrate.spans FORMAT TabSeparatedRaw")

        let second = try await schema.migrate()
        #expect(second == ClickHouseSchema.currentVersion)
        let recorded = try await client.query("SELECT version, summary FROM spindle_migrate.spindle_schema ORDER BY version FORMAT TabSeparated")
        #expect(String(decoding: recorded, as: UTF8.self) == "1\tspans, trace_index and trace_index_mv\n2\tspan_index and span_index_mv, backfilled from spans\n")
        let createAgain = try await client.query("SHOW CREATE TABLE spindle_migrate.spans FORMAT TabSeparatedRaw")
        #expect(createAgain == createSpans)
        let tablesAgain = try await client.query("SELECT name, engine FROM system.tables WHERE database = 'spindle_migrate' ORDER BY name FORMAT TabSeparated")
        #expect(tablesAgain == tables)
        let after = try await schema.appliedVersion()
        #expect(after == 2)
    }

    @Test func migrate_refusesASchemaNewerThanThisBuild() async throws {
        let client = try ClickHouseServerScope.client()
        let schema = ClickHouseSchema(client: client, database: "spindle_future")
        try await schema.migrate()
        try await client.execute("INSERT INTO spindle_future.spindle_schema (version, applied_unix_seconds, summary) VALUES (99, 0, 'from the future')")
        do {
            try await schema.migrate()
            Issue.record("migrate accepted schema version 99")
        } catch {
            #expect(error.code == .unsupported)
            #expect(error.message.contains("version 99"))
        }
    }

    // MARK: Writing

    @Test func writer_rowsReadBackExactly() async throws {
        let client = try ClickHouseServerScope.client()
        try await ClickHouseSchema(client: client, database: "spindle_readback").migrate()
        let stored = ConformanceFixtures.all + [Self.hostileSpan]
        let batch = ConformanceFixtures.batch(stored)
        try await ClickHouseTraceWriter(client: client, database: "spindle_readback").write(batch)

        let rows = try jsonRows(try await client.query(Self.readBackQuery(database: "spindle_readback")))
        let readBack = try rows.map(Self.storedSpan)
        #expect(readBack.count == stored.count)
        let expected = ConformanceFixtures.storedSpans(in: batch)
        for (got, want) in zip(readBack, expected) {
            #expect(got == want)
        }
        // The derived columns.
        let derived = try jsonRows(try await client.query("""
            SELECT hex(span_id) AS id, service_name, duration_nano, toString(start_time) AS start
            FROM spindle_readback.spans ORDER BY trace_id, span_id FORMAT JSONEachRow
            """))
        for (row, want) in zip(derived, expected) {
            #expect(row["service_name"] as? String == (want.resource.serviceName ?? ""))
            let span = want.span
            #expect(unsigned(row["duration_nano"]) == (span.endTimeUnixNano >= span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0))
        }
        #expect(derived.first?["start"] as? String == "2023-11-14 22:13:21")
    }

    @Test func writer_takesTheFirstServiceName_onlyWhenItIsAString() async throws {
        let database = "spindle_service_name"
        let client = try ClickHouseServerScope.client()
        try await ClickHouseSchema(client: client, database: database).migrate()
        let span = SpanRecord(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), name: "n", startTimeUnixNano: 1_700_000_000_000_000_000, endTimeUnixNano: 1_700_000_000_000_000_001)
        func group(_ attributes: [Attribute], _ id: UInt64) -> ResourceSpans {
            var span = span
            span.spanID = SpanID(id)
            return ResourceSpans(resource: Resource(attributes: attributes), scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "t"), spans: [span])])
        }
        // As the native and memory stores read it: the first `service.name`, if a string.
        try await ClickHouseTraceWriter(client: client, database: database).write(SpanBatch([
            group([Attribute("service.name", .int(5)), Attribute("service.name", .string("later"))], 1),
            group([Attribute("host.name", .string("h")), Attribute("service.name", .string("checkout"))], 2),
            group([], 3),
        ]))
        let names = try await client.query("SELECT service_name FROM \(database).spans ORDER BY span_id FORMAT TabSeparated")
        #expect(String(decoding: names, as: UTF8.self) == "\ncheckout\n\n")
    }

    @Test func writer_sameBatchTwice_readsBackOnce() async throws {
        let database = "spindle_dedup"
        try await ClickHouseSchema(client: try ClickHouseServerScope.client(), database: database).migrate()
        let batch = ConformanceFixtures.batch(ConformanceFixtures.all)
        // Once gzip-compressed and once plain: the same rows either way.
        try await ClickHouseTraceWriter(client: try ClickHouseServerScope.client(compressInserts: true), database: database).write(batch)
        try await ClickHouseTraceWriter(client: try ClickHouseServerScope.client(compressInserts: false), database: database).write(batch)
        let client = try ClickHouseServerScope.client()

        // Before merges: readers deduplicate.
        let limitBy = try await client.query("SELECT count() FROM (SELECT trace_id, span_id FROM \(database).spans LIMIT 1 BY trace_id, span_id) FORMAT TabSeparated")
        #expect(String(decoding: limitBy, as: UTF8.self) == "14\n")
        let final = try await client.query("SELECT count() FROM \(database).spans FINAL FORMAT TabSeparated")
        #expect(String(decoding: final, as: UTF8.self) == "14\n")

        // After a merge the table itself holds each span once.
        try await client.execute("OPTIMIZE TABLE \(database).spans FINAL")
        let merged = try await client.query("SELECT count(), uniqExact(trace_id, span_id) FROM \(database).spans FORMAT TabSeparated")
        #expect(String(decoding: merged, as: UTF8.self) == "14\t14\n")

        // trace_index: one row per trace, service and hour, which finds a trace's spans.
        let index = try await client.query("""
            SELECT service_name, toString(start_hour) FROM \(database).trace_index FINAL
            WHERE trace_id = unhex('\(ConformanceFixtures.traceA.hexString)') ORDER BY service_name FORMAT TabSeparated
            """)
        #expect(String(decoding: index, as: UTF8.self) == """
            checkout\t2023-11-14 22:00:00
            frontend\t2023-11-14 22:00:00
            inventory\t2023-11-14 22:00:00
            payments\t2023-11-14 22:00:00

            """)
        let trace = try await client.query("""
            SELECT hex(span_id) FROM \(database).spans
            WHERE (service_name, toStartOfHour(start_time)) IN (
                SELECT service_name, start_hour FROM \(database).trace_index WHERE trace_id = unhex('\(ConformanceFixtures.traceA.hexString)'))
              AND trace_id = unhex('\(ConformanceFixtures.traceA.hexString)')
            ORDER BY span_id LIMIT 1 BY span_id FORMAT TabSeparated
            """)
        #expect(String(decoding: trace, as: UTF8.self) == "00000000000000A1\n00000000000000A2\n00000000000000A3\n00000000000000A4\n00000000000000A5\n")
    }

    @Test func writer_capsNestingDepth() async throws {
        let client = try ClickHouseServerScope.client()
        try await ClickHouseSchema(client: client, database: "spindle_deep").migrate()
        var deep = AttributeValue.string("bottom")
        for _ in 0..<200 { deep = .array([deep]) }
        let span = SpanRecord(
            traceID: ConformanceFixtures.traceA, spanID: SpanID(1), name: "deep",
            startTimeUnixNano: ConformanceFixtures.time(0), endTimeUnixNano: ConformanceFixtures.time(1),
            attributes: [Attribute("deep", deep)]
        )
        try await ClickHouseTraceWriter(client: client, database: "spindle_deep").write(SpanBatch([
            ResourceSpans(scopeSpans: [ScopeSpans(spans: [span])]),
        ]))
        let rows = try jsonRows(try await client.query("SELECT attribute_types, attribute_values FROM spindle_deep.spans FORMAT JSONEachRow"))
        let text = try #require((rows.first?["attribute_values"] as? [String])?.first)
        // 64 levels of arrays are written; the 65th level and below become `{}`.
        var expected = AttributeValue.empty
        for _ in 0..<ClickHouseValueText.maxDepth { expected = .array([expected]) }
        #expect(ClickHouseValueText.value(type: 6, text: text) == expected)
    }

    @Test func writer_emptyBatchSendsNothing() async throws {
        // No schema in this database: an insert would fail, so success means no request.
        let writer = ClickHouseTraceWriter(client: try ClickHouseServerScope.client(), database: "spindle_absent")
        try await writer.write(SpanBatch())
    }

    // MARK: SQL literals

    static let hostileStrings: [String] = [
        "", "'", "\\", "\\'", "''", "\\\\'", "\0", "a\0b", "\u{7F}", "é", "世界", "🌍", "Grüße, 世界 🌍",
        "\u{FEFF}bom", "e\u{301}", "\\x41", "\\0", "'; DROP TABLE spans; --", "`", "\"", "\r\n\t",
        "{name:String}", "?", "%s", String((1..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }),
        String(repeating: "'\\", count: 5000),
    ]

    @Test func literal_hostileStringsRoundTripThroughTheServer() async throws {
        let client = try ClickHouseServerScope.client()
        for value in Self.hostileStrings {
            let answer = try await client.query("SELECT \(ClickHouseSQL.literal(value)) FORMAT RowBinary")
            #expect(Self.rowBinaryString(answer) == Array(value.utf8), "\(value.debugDescription.prefix(80))")
        }
        let bytes: [UInt8] = [0xFF, 0x00, 0x80, 0x27, 0x5C, 0xC3]
        let answer = try await client.query("SELECT \(ClickHouseSQL.literal(bytes: bytes)) FORMAT RowBinary")
        #expect(Self.rowBinaryString(answer) == bytes)
    }

    @Test func identifier_hostileNamesRoundTripThroughTheServer() async throws {
        let client = try ClickHouseServerScope.client()
        for name in ["plain", "with space", "back`tick", "back\\slash", "quote'", "世界", "select"] {
            let rows = try jsonRows(try await client.query("SELECT 1 AS \(ClickHouseSQL.identifier(name)) FORMAT JSONEachRow"))
            #expect(rows.count == 1)
            #expect(rows.first.map { Array($0.keys) } == [name])
        }
    }

    @Test func literal_doublesRoundTripThroughTheServer() async throws {
        let client = try ClickHouseServerScope.client()
        for value in [0.1, 149.99, -2.5, 1e300, -1e-300, .greatestFiniteMagnitude, .infinity, -.infinity, 0, 2.2250738585072014e-308] {
            let answer = try await client.query("SELECT \(ClickHouseSQL.literal(value)) FORMAT RowBinary")
            #expect(answer.count == 8)
            let bits = answer.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(bits == value.bitPattern, "\(value)")
        }
        let nan = try await client.query("SELECT isNaN(\(ClickHouseSQL.literal(Double.nan))) FORMAT TabSeparated")
        #expect(nan == Array("1\n".utf8))
    }

    // MARK: Client

    @Test func client_reportsTheServerVersion() async throws {
        let client = try ClickHouseServerScope.client()
        let text = String(decoding: try await client.query("SELECT version() FORMAT TabSeparated"), as: UTF8.self)
        let version = try await client.serverVersion()
        #expect(version.description + "\n" == text)
        #expect(version >= ClickHouseVersion(18, 16))
        let features = try await client.features()
        #expect(features.version == version)
    }

    @Test func client_sendsTheUserAndPasswordInHeaders() async throws {
        let server = try ClickHouseServerScope.server()
        let client = ClickHouseClient(.init(url: server.httpURL, database: "system", user: ClickHouseServer.user, password: server.password))
        // 18.16 has no currentUser(); the query finds itself in system.processes.
        let answer = try await client.query("SELECT user, currentDatabase() FROM system.processes WHERE query LIKE '%headers-probe%' FORMAT TabSeparated")
        #expect(String(decoding: answer, as: UTF8.self) == "spindle\tsystem\n")
        #expect(!client.configuration.description.contains(server.password))
    }

    @Test func client_neverPutsThePasswordInErrors() async throws {
        let server = try ClickHouseServerScope.server()
        let wrong = ClickHouseClient(.init(url: server.httpURL, user: ClickHouseServer.user, password: "wrong-Pa55word"))
        do {
            _ = try await wrong.query("SELECT 1 FORMAT TabSeparated")
            Issue.record("a wrong password was accepted")
        } catch {
            #expect(error.message.contains("Code: "))
            #expect(!"\(error)".contains("wrong-Pa55word"))
        }
        // ClickHouse quotes the failing query text, which here holds the password.
        let right = ClickHouseClient(.init(url: server.httpURL, user: ClickHouseServer.user, password: server.password))
        do {
            _ = try await right.query("SELECT 1 1 \(ClickHouseSQL.literal(server.password))")
            Issue.record("a syntax error was accepted")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("Syntax error"))
            #expect(error.message.contains("[password]"))
            #expect(!"\(error)".contains(server.password))
        }
    }

    @Test func client_mapsAMissingTableToInvalidArgumentWithTheServersMessage() async throws {
        let client = try ClickHouseServerScope.client()
        do {
            _ = try await client.query("SELECT * FROM default.no_such_table FORMAT TabSeparated")
            Issue.record("a missing table was accepted")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("Code: 60"))
            #expect(error.message.contains("no_such_table"))
        }
    }

    @Test func stoppedServer_givesUnavailable() async throws {
        let server = try ClickHouseServer.start()
        let client = ClickHouseClient(.init(url: server.httpURL, user: ClickHouseServer.user, password: server.password))
        try await ClickHouseSchema(client: client, database: "spindle").migrate()
        let writer = ClickHouseTraceWriter(client: client, database: "spindle")
        try await writer.write(ConformanceFixtures.batch(ConformanceFixtures.traceBSpans))
        server.stop()

        do {
            try await writer.write(ConformanceFixtures.batch(ConformanceFixtures.traceBSpans))
            Issue.record("a write to a stopped server succeeded")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("cannot reach"))
            #expect(!"\(error)".contains(server.password))
        }
        do {
            _ = try await client.serverVersion()
            Issue.record("a query to a stopped server succeeded")
        } catch {
            #expect(error.code == .unavailable)
        }
    }

    // MARK: Reading rows back

    /// Every column, IDs as hex, in trace and span ID order.
    static func readBackQuery(database: String) -> String {
        """
        SELECT hex(trace_id) AS trace_hex, hex(span_id) AS span_hex, hex(parent_span_id) AS parent_hex,
            trace_state, flags, name, kind, start_unix_nano, end_unix_nano, status_code, status_message,
            attribute_keys, attribute_types, attribute_values, dropped_attributes_count,
            event_times, event_names, event_attribute_keys, event_attribute_types, event_attribute_values,
            event_dropped_attributes_counts, dropped_events_count,
            arrayMap(x -> hex(x), link_trace_ids) AS link_trace_hex, arrayMap(x -> hex(x), link_span_ids) AS link_span_hex,
            link_trace_states, link_flags, link_attribute_keys, link_attribute_types, link_attribute_values,
            link_dropped_attributes_counts, dropped_links_count,
            resource_attribute_keys, resource_attribute_types, resource_attribute_values,
            resource_dropped_attributes_count, resource_schema_url,
            scope_name, scope_version, scope_attribute_keys, scope_attribute_types, scope_attribute_values,
            scope_dropped_attributes_count, scope_schema_url
        FROM \(database).spans ORDER BY trace_id, span_id FORMAT JSONEachRow
        """
    }

    struct ReadBackFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func storedSpan(_ row: [String: Any]) throws -> StoredSpan {
        func string(_ key: String) throws -> String {
            guard let value = row[key] as? String else { throw ReadBackFailure(description: "\(key) is not a string") }
            return value
        }
        func number<T: FixedWidthInteger>(_ key: String, _: T.Type = T.self) throws -> T {
            guard let value = integer(row[key]) ?? unsigned(row[key]).map({ Int64(bitPattern: $0) }), let typed = T(exactly: value) ?? T(exactly: UInt64(bitPattern: value)) else {
                throw ReadBackFailure(description: "\(key) is not a number")
            }
            return typed
        }
        func list(_ key: String) throws -> [Any] {
            guard let value = row[key] as? [Any] else { throw ReadBackFailure(description: "\(key) is not an array") }
            return value
        }
        func attributes(keys: Any?, types: Any?, values: Any?) throws -> [Attribute] {
            guard let keys = keys as? [String], let types = types as? [Any], let values = values as? [String],
                  keys.count == types.count, keys.count == values.count
            else { throw ReadBackFailure(description: "attribute arrays do not line up") }
            return try keys.indices.map { index in
                guard let tag = integer(types[index]).flatMap(UInt8.init(exactly:)),
                      let value = ClickHouseValueText.value(type: tag, text: values[index])
                else { throw ReadBackFailure(description: "attribute \(keys[index]) does not decode") }
                return Attribute(keys[index], value)
            }
        }
        func attributes(_ prefix: String) throws -> [Attribute] {
            try attributes(keys: row[prefix + "_keys"], types: row[prefix + "_types"], values: row[prefix + "_values"])
        }
        guard let traceID = TraceID(hex: try string("trace_hex")), let spanID = SpanID(hex: try string("span_hex")),
              let parentID = SpanID(hex: try string("parent_hex"))
        else { throw ReadBackFailure(description: "IDs do not parse") }

        let eventNames = try list("event_names")
        let events = try eventNames.indices.map { index in
            SpanEvent(
                timeUnixNano: unsigned(try list("event_times")[index]) ?? 0,
                name: eventNames[index] as? String ?? "",
                attributes: try attributes(
                    keys: try list("event_attribute_keys")[index], types: try list("event_attribute_types")[index],
                    values: try list("event_attribute_values")[index]
                ),
                droppedAttributesCount: UInt32(integer(try list("event_dropped_attributes_counts")[index]) ?? -1)
            )
        }
        let linkTraces = try list("link_trace_hex")
        let links = try linkTraces.indices.map { index in
            SpanLink(
                traceID: TraceID(hex: linkTraces[index] as? String ?? "") ?? .zero,
                spanID: SpanID(hex: try list("link_span_hex")[index] as? String ?? "") ?? .zero,
                traceState: try list("link_trace_states")[index] as? String ?? "",
                attributes: try attributes(
                    keys: try list("link_attribute_keys")[index], types: try list("link_attribute_types")[index],
                    values: try list("link_attribute_values")[index]
                ),
                droppedAttributesCount: UInt32(integer(try list("link_dropped_attributes_counts")[index]) ?? -1),
                flags: UInt32(integer(try list("link_flags")[index]) ?? -1)
            )
        }
        let span = SpanRecord(
            traceID: traceID, spanID: spanID, parentSpanID: parentID,
            traceState: try string("trace_state"), flags: try number("flags"), name: try string("name"),
            kind: SpanKind(rawValue: try number("kind")),
            startTimeUnixNano: try number("start_unix_nano"), endTimeUnixNano: try number("end_unix_nano"),
            attributes: try attributes("attribute"), droppedAttributesCount: try number("dropped_attributes_count"),
            events: events, droppedEventsCount: try number("dropped_events_count"),
            links: links, droppedLinksCount: try number("dropped_links_count"),
            status: SpanStatus(code: StatusCode(rawValue: try number("status_code")), message: try string("status_message"))
        )
        let resource = Resource(
            attributes: try attributes("resource_attribute"),
            droppedAttributesCount: try number("resource_dropped_attributes_count"),
            schemaURL: try string("resource_schema_url")
        )
        let scope = InstrumentationScope(
            name: try string("scope_name"), version: try string("scope_version"),
            attributes: try attributes("scope_attribute"),
            droppedAttributesCount: try number("scope_dropped_attributes_count"),
            schemaURL: try string("scope_schema_url")
        )
        return StoredSpan(resource: resource, scope: scope, span: span)
    }

    /// The one `String` of a RowBinary answer.
    static func rowBinaryString(_ bytes: [UInt8]) -> [UInt8]? {
        var length = 0
        var shift = 0
        var index = 0
        while index < bytes.count, shift < 63 {
            let byte = bytes[index]
            length |= Int(byte & 0x7F) << shift
            index += 1
            if byte < 0x80 { break }
            shift += 7
        }
        guard bytes.count - index == length else { return nil }
        return Array(bytes[index...])
    }

    /// A span whose every string is hostile and whose attributes cover the edges of every type.
    static let hostileSpan = StoredSpan(
        resource: Resource(
            attributes: [Attribute("service.name", "svc 'quoted' \\ 世界"), Attribute("", ""), Attribute("k\0ey", "v\u{1}\u{7F}")],
            droppedAttributesCount: 7, schemaURL: "https://example.com/'\\"
        ),
        scope: InstrumentationScope(
            name: "scope\n\"name\"", version: "v\t1", attributes: [Attribute("scope.bytes", .bytes([]))],
            droppedAttributesCount: 3, schemaURL: "s"
        ),
        span: SpanRecord(
            traceID: TraceID(high: .max, low: 1), spanID: SpanID(.max), parentSpanID: SpanID(0x0102_0304_0506_0708),
            traceState: "a=1,b='2'", flags: .max,
            name: "quote' backslash\\ nul\0 tab\t newline\n bell\u{7} del\u{7F} 世界 🌍 e\u{301}",
            kind: SpanKind(rawValue: 42), startTimeUnixNano: ConformanceFixtures.time(6000), endTimeUnixNano: ConformanceFixtures.time(5999),
            attributes: [
                Attribute("int.min", .int(.min)), Attribute("int.max", .int(.max)),
                Attribute("inf", .double(.infinity)), Attribute("neg.inf", .double(-.infinity)),
                Attribute("tiny", .double(.leastNonzeroMagnitude)), Attribute("max", .double(.greatestFiniteMagnitude)),
                Attribute("third", .double(1.0 / 3.0)), Attribute("bytes", .bytes([0, 0xFF, 0x27, 0x5C])),
                Attribute("nested", .array([
                    .bytes([0, 255]), .double(0.1), .double(-.infinity), .string("\"q\"\\\0\n"), .empty, .keyValueList([]), .array([]),
                    .int(.min), .bool(false),
                    .keyValueList([Attribute("", .string("")), Attribute("k\"\\", .array([.keyValueList([Attribute("deep", .double(2.0))])]))]),
                ])),
                Attribute("dup", "first"), Attribute("dup", "second"), Attribute("", .empty),
            ],
            droppedAttributesCount: .max,
            events: [
                SpanEvent(timeUnixNano: 0, name: ""),
                SpanEvent(timeUnixNano: .max, name: "ev'\\", attributes: [Attribute("e", .bool(true)), Attribute("f", .array([]))], droppedAttributesCount: 9),
            ],
            droppedEventsCount: 4,
            links: [
                SpanLink(traceID: .zero, spanID: .zero),
                SpanLink(traceID: ConformanceFixtures.traceB, spanID: SpanID(0xB1), traceState: "x='y'", attributes: [Attribute("l", .int(-1))], droppedAttributesCount: 2, flags: 0x301),
            ],
            droppedLinksCount: 5,
            status: SpanStatus(code: StatusCode(rawValue: -3), message: "status 'message' \\ \0")
        )
    )
}
