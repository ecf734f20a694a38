/// The `SpindleQuery` module: TraceQL, search planning and aggregates over a TraceReader.
///
/// It starts empty: the issue that builds it fills it in. The package graph in
/// `Package.swift` already fixes what it may depend on.
public enum SpindleQueryModule {
    public static let summary = "TraceQL, search planning and aggregates over a TraceReader"
}
