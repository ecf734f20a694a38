/// The `SpindleStore` module: the embedded storage engine: WAL, head, blocks, compaction, retention.
///
/// It starts empty: the issue that builds it fills it in. The package graph in
/// `Package.swift` already fixes what it may depend on.
public enum SpindleStoreModule {
    public static let summary = "the embedded storage engine: WAL, head, blocks, compaction, retention"
}
