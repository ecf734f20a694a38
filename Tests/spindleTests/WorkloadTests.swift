import SpindleModel
import SpindleSamples
import SpindleWire
import Testing

@testable import spindle

/// `Workload` lives in SpindleSamples, which has no test target of its own; the CLI that
/// drives it with `spindle bench ingest` hosts its tests.
@Suite struct WorkloadTests {
    /// 2000 traces of the default workload, seed 1.
    static let traces: [Workload.Trace] = {
        var workload = Workload()
        return (0..<2000).map { _ in workload.nextTrace() }
    }()

    @Test func workload_isDeterministicForASeed() {
        var first = Workload(Workload.Configuration(seed: 7))
        var second = Workload(Workload.Configuration(seed: 7))
        var other = Workload(Workload.Configuration(seed: 8))
        let a = (0..<50).map { _ in first.nextTrace() }
        let b = (0..<50).map { _ in second.nextTrace() }
        let c = (0..<50).map { _ in other.nextTrace() }
        #expect(a == b)
        #expect(a != c)
        #expect(first.resources == second.resources)
    }

    @Test func workload_traceSizesStayWithin1To500WithAMeanNear40() {
        let sizes = Self.traces.map(\.spans.count)
        #expect(sizes.allSatisfy { (1...500).contains($0) })
        #expect(sizes.contains(1))
        #expect(sizes.contains(500))
        let mean = Double(sizes.reduce(0, +)) / Double(sizes.count)
        #expect((30...50).contains(mean), "mean trace size \(mean)")
        let median = sizes.sorted()[sizes.count / 2]
        #expect(median < 25, "median trace size \(median): most traces should be small")
    }

    @Test func workload_linksEverySpanToAParentInItsTraceExceptTheRoot() {
        for trace in Self.traces {
            var byID: [SpanID: SpanRecord] = [:]
            for span in trace.spans { byID[span.spanID] = span }
            #expect(byID.count == trace.spans.count, "span IDs repeat in trace \(trace.traceID)")
            #expect(trace.spans.filter(\.isRoot).count == 1)
            #expect(trace.spans[0].isRoot && trace.spans[0].kind == .server)
            for span in trace.spans {
                #expect(span.traceID == trace.traceID)
                guard !span.isRoot else { continue }
                guard let parent = byID[span.parentSpanID] else {
                    Issue.record("span \(span.spanID) of trace \(trace.traceID) has a parent outside the trace")
                    continue
                }
                #expect(parent.startTimeUnixNano <= span.startTimeUnixNano && span.endTimeUnixNano <= parent.endTimeUnixNano, "child outside its parent")
                if span.kind == .server { #expect(parent.kind == .client, "a server span's parent is a client call") }
            }
        }
    }

    @Test func workload_failsTwoPercentOfTracesWithAnException() {
        let failed = Self.traces.filter(\.hasError)
        // Seed 1: 1.7 % of these 2000 traces (417 of the first 20 000, 2.09 %).
        #expect(failed.count == 34)
        for trace in failed {
            let exceptions = trace.spans.flatMap(\.events).filter { $0.name == "exception" }
            #expect(exceptions.count == 1)
            #expect(exceptions.first?.attributes["exception.type"] != nil)
            #expect(trace.spans[0].status.code == .error, "the root returns the error")
        }
        for trace in Self.traces where !trace.hasError {
            #expect(trace.spans.allSatisfy { $0.events.isEmpty })
        }
    }

    @Test func workload_givesEverySpanTenAttributesOfMixedTypes() {
        var types: Set<String> = []
        for span in Self.traces.prefix(200).flatMap(\.spans) {
            #expect(span.attributes.count == 10)
            #expect(Set(span.attributes.map(\.key)).count == 10, "keys repeat on \(span.name)")
            for attribute in span.attributes {
                switch attribute.value {
                case .string: types.insert("string")
                case .int: types.insert("int")
                case .double: types.insert("double")
                case .bool: types.insert("bool")
                default: types.insert("other")
                }
            }
        }
        #expect(types == ["string", "int", "double", "bool"])
        let keys = Set(Self.traces.prefix(200).flatMap(\.spans).flatMap { $0.attributes.map(\.key) })
        for key in ["http.method", "http.route", "http.status_code", "db.system", "db.statement", "net.peer.name", "enduser.id"] {
            #expect(keys.contains(key), "no span has \(key)")
        }
    }

    @Test func workload_givesEachServiceItsOwnResource() {
        let workload = Workload()
        let names = workload.resources.compactMap(\.serviceName)
        #expect(names.count == 20)
        #expect(Set(names).count == 20)
        #expect(workload.resources.allSatisfy { $0.attributes.count > 3 })
    }

    @Test func nextBatch_holdsWholeTracesUpToTheTarget() throws {
        var workload = Workload()
        var seen: Set<TraceID> = []
        for _ in 0..<20 {
            let batch = workload.nextBatch(targetSpans: 500)
            try batch.tables.validate()
            #expect(batch.spanCount >= 500 && batch.spanCount < 1000)
            let traceIDs = Set(batch.spans.map(\.traceID))
            #expect(seen.isDisjoint(with: traceIDs), "a trace is split across batches")
            seen.formUnion(traceIDs)
            let resources = batch.tables.resources.indices.map { batch.tables.resource(at: $0) }
            #expect(Set(resources.compactMap(\.serviceName)).count == resources.count, "one resource group per service")
        }
    }

    @Test func encodedRequest_rewritesEveryTraceIDWhenResent() throws {
        var workload = Workload()
        let batch = workload.nextBatch(targetSpans: 500)
        let request = EncodedRequest(batch: batch)
        #expect(request.traceIDOffsets.count == batch.spanCount)

        let original = try OTLPProtobuf.decodeExportRequest(Array(request.bytes(round: 0).readableBytesView))
        #expect(original == batch)
        let resent = try OTLPProtobuf.decodeExportRequest(Array(request.bytes(round: 1).readableBytesView))
        #expect(resent.spanCount == batch.spanCount)
        let before = batch.spans
        let after = resent.spans
        #expect(Set(before.map(\.traceID)).isDisjoint(with: after.map(\.traceID)))
        #expect(Set(after.map(\.traceID)).count == Set(before.map(\.traceID)).count, "traces stay whole")
        #expect(zip(before, after).allSatisfy { $0.spanID == $1.spanID && $0.parentSpanID == $1.parentSpanID && $0.attributes == $1.attributes })
    }

    @Test func benchIngest_parsesItsOptions() throws {
        let parsed = try SpindleCommand.parseAsRoot([
            "bench", "ingest", "--concurrency", "4", "--server-pid", "1234", "--spans-per-request", "250", "--requests", "10", "--json",
        ])
        let command = try #require(parsed as? IngestBench)
        #expect(command.concurrency == 4)
        #expect(command.serverPID == 1234)
        #expect(command.spansPerRequest == 250)
        #expect(command.requests == 10)
        #expect(command.json)
        #expect(command.endpoint == "http://127.0.0.1:4318")
        #expect(command.tracesURL == "http://127.0.0.1:4318/v1/traces")
        #expect(command.duration == 20 && command.attributes == 10 && command.services == 20)

        // `--help` parses into ArgumentParser's help command, which prints this help.
        let helpRequest = try SpindleCommand.parseAsRoot(["bench", "ingest", "--help"])
        #expect(!(helpRequest is IngestBench))
        let help = SpindleCommand.helpMessage(for: IngestBench.self)
        for option in ["--endpoint", "--spans-per-request", "--concurrency", "--duration", "--requests", "--server-pid", "--json"] {
            #expect(help.contains(option), "bench ingest --help does not list \(option)")
        }
        #expect(throws: (any Error).self) {
            _ = try SpindleCommand.parseAsRoot(["bench", "ingest", "--concurrency", "0"])
        }
    }
}
