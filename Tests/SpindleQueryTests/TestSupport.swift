import SpindleModel
import SpindleStorage
import SpindleTesting

/// A memory store holding every conformance fixture, for tests that query stored traces.
func fixtureStore() async throws -> InMemoryTraceStore {
    let store = InMemoryTraceStore(maxSpans: 1 << 20)
    try await store.write(ConformanceFixtures.batch(ConformanceFixtures.all))
    return store
}
