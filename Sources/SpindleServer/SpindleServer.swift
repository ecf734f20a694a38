/// The `SpindleServer` module: the listeners, the APIs, the web UI and the lifecycle of spindle serve.
///
/// It starts empty: the issue that builds it fills it in. The package graph in
/// `Package.swift` already fixes what it may depend on.
public enum SpindleServerModule {
    public static let summary = "the listeners, the APIs, the web UI and the lifecycle of spindle serve"
}
