/// What role a span plays: OTLP's `Span.SpanKind`.
///
/// A struct over the wire number rather than an enum, so that a value this version does
/// not know survives decoding and re-encoding unchanged.
public struct SpanKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let unspecified = SpanKind(rawValue: 0)
    public static let `internal` = SpanKind(rawValue: 1)
    public static let server = SpanKind(rawValue: 2)
    public static let client = SpanKind(rawValue: 3)
    public static let producer = SpanKind(rawValue: 4)
    public static let consumer = SpanKind(rawValue: 5)

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

    public static let unset = StatusCode(rawValue: 0)
    public static let ok = StatusCode(rawValue: 1)
    public static let error = StatusCode(rawValue: 2)

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

    public static let unset = SpanStatus()
}
