/// What role a span plays: OTLP's `Span.SpanKind`.
///
/// A struct over the wire number rather than an enum, so that a value this version does
/// not know survives decoding and re-encoding unchanged.
public struct SpanKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    @inlinable public static var unspecified: SpanKind { SpanKind(rawValue: 0) }
    @inlinable public static var `internal`: SpanKind { SpanKind(rawValue: 1) }
    @inlinable public static var server: SpanKind { SpanKind(rawValue: 2) }
    @inlinable public static var client: SpanKind { SpanKind(rawValue: 3) }
    @inlinable public static var producer: SpanKind { SpanKind(rawValue: 4) }
    @inlinable public static var consumer: SpanKind { SpanKind(rawValue: 5) }

    /// The lowercase name used by TraceQL and the Jaeger API (`server`, `client`, ...).
    public var name: String {
        switch self {
        case .unspecified: "unspecified"
        case .internal: "internal"
        case .server: "server"
        case .client: "client"
        case .producer: "producer"
        case .consumer: "consumer"
        default: "kind(\(rawValue))"
        }
    }

    /// Parses the lowercase names of ``name``.
    public init?(name: String) {
        switch name.lowercased() {
        case "unspecified": self = .unspecified
        case "internal": self = .internal
        case "server": self = .server
        case "client": self = .client
        case "producer": self = .producer
        case "consumer": self = .consumer
        default: return nil
        }
    }

    public var description: String { name }
}

/// A status code: OTLP's `Status.StatusCode`, kept as the wire number like ``SpanKind``.
public struct StatusCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    @inlinable public static var unset: StatusCode { StatusCode(rawValue: 0) }
    @inlinable public static var ok: StatusCode { StatusCode(rawValue: 1) }
    @inlinable public static var error: StatusCode { StatusCode(rawValue: 2) }

    public var name: String {
        switch self {
        case .unset: "unset"
        case .ok: "ok"
        case .error: "error"
        default: "status(\(rawValue))"
        }
    }

    public var description: String { name }
}

/// A span's outcome: OTLP's `Status`.
public struct SpanStatus: Hashable, Sendable {
    public var code: StatusCode
    public var message: String

    public init(code: StatusCode = .unset, message: String = "") {
        self.code = code
        self.message = message
    }

    @inlinable public static var unset: SpanStatus { SpanStatus() }
}
