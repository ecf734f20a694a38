public import Spindle

extension SpindleConfiguration {
    /// The OTLP/gRPC exporter this configuration describes, as the OpenTelemetry
    /// specification reads the exporter variables for gRPC: `grpcTracesEndpoint`
    /// (`OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT` as-is, else `http://localhost:4317`), the
    /// headers as metadata (a later header of the same name wins), the compression, and
    /// `exportTimeout` bounding one export with its retries.
    public var otlpGRPCExporter: OTLPGRPCExporter.Configuration {
        var byName: [String: String] = [:]
        for header in headers { byName[header.name] = header.value }
        return OTLPGRPCExporter.Configuration(
            endpoint: grpcTracesEndpoint, headers: byName, compression: compression, timeout: exportTimeout
        )
    }

    /// The OTLP exporter `otlpProtocol` names (`OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL`): an
    /// ``OTLPGRPCExporter`` for `grpc`, else an `OTLPHTTPExporter`.
    ///
    ///     let configuration = SpindleConfiguration()
    ///     let exporter = configuration.makeOTLPExporter()
    ///     let tracing = SpindleSDK.bootstrap(
    ///         configuration: configuration,
    ///         processors: [BatchSpanProcessor(exporter: exporter, configuration: configuration.batch)]
    ///     )
    public func makeOTLPExporter() -> any SpanExporter {
        switch otlpProtocol {
        case .grpc: OTLPGRPCExporter(configuration: otlpGRPCExporter)
        case .httpProtobuf: OTLPHTTPExporter(configuration: otlpHTTPExporter)
        }
    }
}
