/// The `SpindleClickHouse` module: the ClickHouse storage backend for running Spindle as a fleet.
///
/// It starts empty: the issue that builds it fills it in. The package graph in
/// `Package.swift` already fixes what it may depend on.
public enum SpindleClickHouseModule {
    public static let summary = "the ClickHouse storage backend for running Spindle as a fleet"
}
