import NIOCore
import Testing

@testable import SpindleServer

@Suite struct RequestBodyDecodingTests {
    let payload: [UInt8] = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) }

    @Test func contentCodings_areParsed() throws {
        #expect(try ContentCoding.parse(nil) == .identity)
        #expect(try ContentCoding.parse("") == .identity)
        #expect(try ContentCoding.parse("identity") == .identity)
        #expect(try ContentCoding.parse("GZIP") == .gzip)
        #expect(try ContentCoding.parse("x-gzip") == .gzip)
        #expect(try ContentCoding.parse(" deflate ") == .deflate)
        #expect(try ContentCoding.parse("gzip, identity") == .gzip)
        #expect(throws: BodyError.self) { try ContentCoding.parse("br") }
        #expect(throws: BodyError.self) { try ContentCoding.parse("zstd") }
        #expect(throws: BodyError.self) { try ContentCoding.parse("gzip, gzip") }
    }

    @Test func gzipZlibAndRawDeflate_roundTrip() throws {
        for (coding, compressed) in [
            (ContentCoding.gzip, try gzip(payload)), (.deflate, try zlibDeflate(payload)), (.deflate, try rawDeflate(payload)),
        ] {
            let decoded = try RequestBodyDecoding.decode(ByteBuffer(bytes: compressed), coding: coding, limit: payload.count)
            #expect(Array(decoded.readableBytesView) == payload)
        }
    }

    @Test func aBodyOneByteOverTheLimit_isTooLarge() throws {
        let compressed = try gzip(payload)
        #expect(throws: BodyError.tooLarge(limit: payload.count - 1)) {
            try RequestBodyDecoding.decode(ByteBuffer(bytes: compressed), coding: .gzip, limit: payload.count - 1)
        }
        #expect(throws: BodyError.tooLarge(limit: payload.count - 1)) {
            try RequestBodyDecoding.decode(ByteBuffer(bytes: payload), coding: .identity, limit: payload.count - 1)
        }
    }

    @Test func aTruncatedGzipStream_isMalformed() throws {
        let compressed = try gzip(payload)
        for cut in [1, 8, compressed.count / 2, compressed.count - 1] {
            #expect {
                try RequestBodyDecoding.decode(ByteBuffer(bytes: compressed.prefix(cut)), coding: .gzip, limit: 1 << 20)
            } throws: { error in
                (error as? BodyError)?.kind == .malformed
            }
        }
    }

    @Test func bytesAfterTheEndOfTheStream_areMalformed() throws {
        let compressed = try gzip(payload) + [1, 2, 3]
        #expect {
            try RequestBodyDecoding.decode(ByteBuffer(bytes: compressed), coding: .gzip, limit: 1 << 20)
        } throws: { error in
            (error as? BodyError)?.message.contains("3 bytes after the end") == true
        }
    }

    @Test func anEmptyCompressedBody_isMalformed() {
        #expect(throws: BodyError.self) {
            try RequestBodyDecoding.decode(ByteBuffer(), coding: .gzip, limit: 100)
        }
    }

    @Test func aBomb_stopsAtTheLimit() throws {
        let bomb = try gzipOfZeros(count: 50 << 20)
        #expect(bomb.count < 100_000)
        #expect(throws: BodyError.tooLarge(limit: 1 << 20)) {
            try RequestBodyDecoding.decode(ByteBuffer(bytes: bomb), coding: .gzip, limit: 1 << 20)
        }
    }
}

@Suite struct ByteCountTests {
    @Test func sizes_parseWithIECAndSIUnits() {
        #expect(ByteCount.parse("67108864") == 67_108_864)
        #expect(ByteCount.parse("64MiB") == 64 << 20)
        #expect(ByteCount.parse("64 mib") == 64 << 20)
        #expect(ByteCount.parse("64Mi") == 64 << 20)
        #expect(ByteCount.parse("64MB") == 64_000_000)
        #expect(ByteCount.parse("512KiB") == 512 << 10)
        #expect(ByteCount.parse("1.5GiB") == 3 << 29)
        #expect(ByteCount.parse("2k") == 2000)
        #expect(ByteCount.parse("10B") == 10)
        #expect(ByteCount.parse("1TiB") == 1 << 40)
    }

    @Test func nonSizes_areRejected() {
        for text in ["", "MiB", "-1", "12XB", "1.5", "0.3B", "99999999999999999999", "9000000000TiB", "1..2MiB"] {
            #expect(ByteCount.parse(text) == nil, "\(text)")
        }
    }

    @Test func sizes_formatInTheLargestExactUnit() {
        #expect(ByteCount.format(64 << 20) == "64 MiB")
        #expect(ByteCount.format(1536) == "1536 B")
        #expect(ByteCount.format(1000) == "1000 B")
        #expect(ByteCount.format(2 << 30) == "2 GiB")
    }
}

@Suite struct ConfigurationTests {
    @Test func defaults_followTheDesign() {
        let configuration = SpindleServerConfiguration()
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.otlpGRPCPort == 4317)
        #expect(configuration.otlpHTTPPort == 4318)
        #expect(configuration.zipkinPort == 9411)
        #expect(configuration.httpPort == 16686)
        #expect(configuration.tempoPort == 3200)
        #expect(configuration.dataDir == "./spindle-data")
        #expect(configuration.storage == .native)
        #expect(configuration.fsync == .interval(.milliseconds(10)))
        #expect(configuration.retention == .seconds(7 * 24 * 3600))
        #expect(configuration.maxDiskBytes == nil)
        #expect(configuration.memoryMaxSpans == 1_000_000)
        #expect(configuration.maxBodyBytes == 64 << 20)
        #expect(configuration.maxBytesInFlight == 256 << 20)
    }

    @Test func impossibleSettings_areRefused() {
        var sharedPort = SpindleServerConfiguration()
        sharedPort.zipkinPort = 4318
        #expect(throws: SpindleServerError.self) { try sharedPort.validate() }

        var badPort = SpindleServerConfiguration()
        badPort.httpPort = 70_000
        #expect(throws: SpindleServerError.self) { try badPort.validate() }

        var noFlight = SpindleServerConfiguration()
        noFlight.maxBytesInFlight = 0
        #expect(throws: SpindleServerError.self) { try noFlight.validate() }

        var noDataDir = SpindleServerConfiguration()
        noDataDir.dataDir = ""
        #expect(throws: SpindleServerError.self) { try noDataDir.validate() }

        var noRetention = SpindleServerConfiguration()
        noRetention.retention = .zero
        #expect(throws: SpindleServerError.self) { try noRetention.validate() }
    }
}
