import SpindleClickHouse
import SpindleStorage
import SpindleTesting
import Testing

/// The storage conformance suite against ClickHouse: each case in a new database of the
/// suite's server.
@Suite(.clickHouseServer, .serialized)
struct ClickHouseConformanceTests {
    @Test(arguments: TraceStoreConformance.caseNames)
    func conformance(_ name: String) async throws {
        let server = try ClickHouseServerScope.server()
        let number = TraceStoreConformance.caseNames.firstIndex(of: name) ?? -1
        let store = try await ClickHouseTraceStore.open(ClickHouseStoreConfiguration(
            urls: [server.httpURL], database: "conf_\(number)", user: ClickHouseServer.user, password: server.password
        ))
        try await TraceStoreConformance.run(name, on: store)
    }
}
