/// The `SpindleCollector` module: receivers and the pipeline between them and storage.
///
/// It starts empty: the issue that builds it fills it in. The package graph in
/// `Package.swift` already fixes what it may depend on.
public enum SpindleCollectorModule {
    public static let summary = "receivers and the pipeline between them and storage"
}
