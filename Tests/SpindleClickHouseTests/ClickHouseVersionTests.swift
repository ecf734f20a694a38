import SpindleClickHouse
import Testing

struct ClickHouseVersionTests {
    @Test func parse_readsDottedNumbers() {
        #expect(ClickHouseVersion("18.16.1")?.components == [18, 16, 1])
        #expect(ClickHouseVersion("23.8.2.7")?.components == [23, 8, 2, 7])
        #expect(ClickHouseVersion("24")?.components == [24])
    }

    @Test func parse_rejectsAnythingElse() {
        for text in ["", ".", "18.", ".16", "18..1", "18.16.1-stable", "v18", "18,16", "1.2.3.4.5.6.7.8.9", "1234567890.1", "١٨.١٦", " 18.16"] {
            #expect(ClickHouseVersion(text) == nil, "\(text)")
        }
    }

    @Test func compare_byNumbersWithMissingOnesAsZero() {
        #expect(ClickHouseVersion(18, 16, 1) < ClickHouseVersion(19, 1))
        #expect(ClickHouseVersion(19, 11) > ClickHouseVersion(19, 6, 3))
        #expect(ClickHouseVersion(19, 1) == ClickHouseVersion(19, 1, 0, 0))
        #expect(ClickHouseVersion(19, 1).hashValue == ClickHouseVersion(19, 1, 0).hashValue)
        #expect(!(ClickHouseVersion(20, 1) < ClickHouseVersion(20, 1, 0)))
    }

    @Test func features_debian18_16HasNoneOfTheNewerOnes() {
        let features = ClickHouseFeatures(version: ClickHouseVersion(18, 16, 1))
        #expect(!features.queryParameters)
        #expect(!features.ttl)
        #expect(!features.columnCodecs)
        #expect(!features.lowCardinality)
        #expect(!features.dateTime64)
        #expect(!features.skippingIndexes)
        #expect(!features.mapType)
    }

    @Test func features_followTheVersion() {
        let v19 = ClickHouseFeatures(version: ClickHouseVersion(19, 11, 3, 11))
        #expect(v19.queryParameters && v19.ttl && v19.columnCodecs && v19.lowCardinality)
        #expect(!v19.dateTime64 && !v19.skippingIndexes && !v19.mapType)
        let v23 = ClickHouseFeatures(version: ClickHouseVersion(23, 8, 2, 7))
        #expect(v23.queryParameters && v23.ttl && v23.columnCodecs && v23.lowCardinality)
        #expect(v23.dateTime64 && v23.skippingIndexes && v23.mapType)
    }
}
