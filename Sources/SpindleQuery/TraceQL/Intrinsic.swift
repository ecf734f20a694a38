/// A TraceQL intrinsic, as spelled in the query (the unscoped legacy spellings are kept
/// apart so that a query prints back as written; ``meaning`` says what each reads).
enum Intrinsic: String, Hashable, Sendable, CaseIterable {
    case name
    case duration
    case status
    case statusMessage
    case kind
    case childCount
    case rootName
    case rootServiceName
    case traceDuration
    case spanName = "span:name"
    case spanDuration = "span:duration"
    case spanStatus = "span:status"
    case spanStatusMessage = "span:statusMessage"
    case spanKind = "span:kind"
    case spanID = "span:id"
    case spanParentID = "span:parentID"
    case spanChildCount = "span:childCount"
    case traceDurationScoped = "trace:duration"
    case traceRootName = "trace:rootName"
    case traceRootService = "trace:rootService"
    case traceID = "trace:id"
    case eventName = "event:name"
    case eventTimeSinceStart = "event:timeSinceStart"
    case linkTraceID = "link:traceID"
    case linkSpanID = "link:spanID"
    case instrumentationName = "instrumentation:name"
    case instrumentationVersion = "instrumentation:version"

    /// What an intrinsic reads, whatever its spelling.
    enum Meaning: Hashable, Sendable {
        case spanName, spanDuration, spanStatus, spanStatusMessage, spanKind, spanID, spanParentID, spanChildCount
        case traceDuration, traceRootName, traceRootService, traceID
        case eventName, eventTimeSinceStart
        case linkTraceID, linkSpanID
        case instrumentationName, instrumentationVersion
    }

    var meaning: Meaning {
        switch self {
        case .name, .spanName: .spanName
        case .duration, .spanDuration: .spanDuration
        case .status, .spanStatus: .spanStatus
        case .statusMessage, .spanStatusMessage: .spanStatusMessage
        case .kind, .spanKind: .spanKind
        case .childCount, .spanChildCount: .spanChildCount
        case .spanID: .spanID
        case .spanParentID: .spanParentID
        case .rootName, .traceRootName: .traceRootName
        case .rootServiceName, .traceRootService: .traceRootService
        case .traceDuration, .traceDurationScoped: .traceDuration
        case .traceID: .traceID
        case .eventName: .eventName
        case .eventTimeSinceStart: .eventTimeSinceStart
        case .linkTraceID: .linkTraceID
        case .linkSpanID: .linkSpanID
        case .instrumentationName: .instrumentationName
        case .instrumentationVersion: .instrumentationVersion
        }
    }

    /// The spellings listed in error messages.
    static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

extension Intrinsic.Meaning {
    /// True for values that describe the whole trace rather than one span.
    var isTraceLevel: Bool {
        switch self {
        case .traceDuration, .traceRootName, .traceRootService, .spanChildCount: true
        default: false
        }
    }

    /// True for values read from the span's events or links (one per event or link).
    var isEventLevel: Bool { self == .eventName || self == .eventTimeSinceStart }
    var isLinkLevel: Bool { self == .linkTraceID || self == .linkSpanID }
}

extension TraceQLQuery {
    /// Every intrinsic a query may name, sorted: what tag-name APIs list as the
    /// `intrinsic` scope.
    public static let intrinsicNames: [String] = Intrinsic.allCases.map(\.rawValue).sorted()
}
