import Foundation
import Spindle
import SpindleOTLPGRPC
import Testing

/// The OpenTelemetry exporter variables read for gRPC.
@Suite struct SpindleConfigurationOTLPGRPCTests {
    @Test func defaults_areLocalhost4317_overHTTPProtobuf() {
        let configuration = SpindleConfiguration(environment: [:])
        #expect(configuration.otlpProtocol == .httpProtobuf)
        let grpc = configuration.otlpGRPCExporter
        #expect(grpc.endpoint.absoluteString == "http://localhost:4317")
        #expect(grpc.headers.isEmpty && grpc.compression == .none && grpc.timeout == .seconds(10))
    }

    @Test func theGenericEndpoint_isUsedAsIs_withHeadersCompressionAndTimeout() {
        let configuration = SpindleConfiguration(environment: [
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example:4317",
            "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20secret,x-tenant=t0",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-tenant=t1",
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
        ])
        #expect(configuration.warnings.isEmpty)
        #expect(configuration.otlpProtocol == .grpc)
        let grpc = configuration.otlpGRPCExporter
        #expect(grpc.endpoint.absoluteString == "https://collector.example:4317")
        #expect(grpc.headers == ["authorization": "Bearer secret", "x-tenant": "t1"])
        #expect(grpc.compression == .gzip)
        #expect(grpc.timeout == .milliseconds(2500))
        // OTLP/HTTP still appends its path.
        #expect(configuration.tracesEndpoint.absoluteString == "https://collector.example:4317/v1/traces")
    }

    @Test func theTracesVariables_winOverTheGenericOnes() {
        let configuration = SpindleConfiguration(environment: [
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces-collector:9000",
        ])
        #expect(configuration.otlpProtocol == .grpc)
        #expect(configuration.otlpGRPCExporter.endpoint.absoluteString == "http://traces-collector:9000")
    }

    @Test func anUnsupportedProtocol_warnsAndKeepsHTTPProtobuf() {
        let configuration = SpindleConfiguration(environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"])
        #expect(configuration.otlpProtocol == .httpProtobuf)
        #expect(configuration.warnings == [
            "OTEL_EXPORTER_OTLP_PROTOCOL=\"http/json\": expected http/protobuf or grpc (http/json is not supported)",
        ])
    }

    @Test func makeOTLPExporter_followsTheProtocol() async {
        let grpc = SpindleConfiguration(environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]).makeOTLPExporter()
        #expect(grpc is OTLPGRPCExporter)
        await grpc.shutdown()
        let http = SpindleConfiguration(environment: [:]).makeOTLPExporter()
        #expect(http is OTLPHTTPExporter)
        await http.shutdown()
    }
}
