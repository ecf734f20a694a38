public import SpindleModel

/// The Zipkin v2 JSON span format (the body of `POST /api/v2/spans`, a JSON array of
/// spans; https://zipkin.io/zipkin-api/#/default/post_spans), mapped to and from OTLP's
/// model the way OpenTelemetry does it: the collector-contrib translator
/// `pkg/translator/zipkin/zipkinv2` (`to_translator.go` for decoding, `from_translator.go`
/// for encoding, with its default feature gates) and the OpenTelemetry specification's
/// "OpenTelemetry to Zipkin Transformation" (`specification/trace/sdk_exporters/zipkin.md`)
/// with the generic rules of `specification/common/mapping-to-non-otlp.md`.
///
/// ## Mapping
///
/// | Zipkin v2 | Spindle (OTLP) | Notes |
/// | --- | --- | --- |
/// | `traceId` | `traceID` | 32 hex digits, or 16 (the high 64 bits are zero). Encoding writes 16 digits when the high half is zero, as Zipkin and the collector do. |
/// | `id` | `spanID` | 16 hex digits, not all zero. |
/// | `parentId` | `parentSpanID` | Absent, `null`, `""` or equal to `id`: a root span. |
/// | `name` | `name` | Absent: `""`. |
/// | `kind` | `kind` | `CLIENT`, `SERVER`, `PRODUCER`, `CONSUMER`. Absent, `null` or any other value: `.unspecified`, or `.internal` when the tag `span.kind` is `internal` (the tag is consumed). Encoding `.internal` omits `kind` and writes that tag. |
/// | `timestamp` (µs) | `startTimeUnixNano` | × 1000. Absent or 0: start 0 and the attribute `otel.zipkin.absentField.startTime` = true. Encoding rounds to the nearest µs and omits a start of 0 (dropping that attribute). |
/// | `duration` (µs) | `endTimeUnixNano` | start + duration × 1000. Encoding writes end − start rounded to the nearest µs, at least 1 when end > start, omitted when end ≤ start. |
/// | `localEndpoint.serviceName` | resource `service.name` | Spans are grouped into one `ResourceSpans` per distinct resource, in order of first appearance. The tag `otlp.service.name.source` names another key to hold it (e.g. `faas.name`). |
/// | `localEndpoint.ipv4` / `ipv6` | attribute `network.local.address` | `ipv6` wins when both are present. |
/// | `localEndpoint.port` | attribute `net.host.port` (int) | 0 means absent. |
/// | `remoteEndpoint.serviceName` | attribute `service.peer.name` | |
/// | `remoteEndpoint.ipv4` / `ipv6` | attribute `network.peer.address` | `ipv6` wins when both are present. |
/// | `remoteEndpoint.port` | attribute `net.peer.port` (int) | 0 means absent. |
/// | `debug: true` | attribute `zipkin.debug` = true | The collector drops it; Spindle keeps it. |
/// | `shared: true` | attribute `zipkin.shared` = true | The collector drops it; Spindle keeps it. |
/// | `annotations[]` | `events[]` | `timestamp` µs × 1000 → `timeUnixNano`. `value` → name and attributes, see below. |
/// | `tags` | span `attributes` | String values, in payload order, except the tags below. |
/// | tag `otel.status_code` | `status.code` | `OK`/`ERROR`/`UNSET` (spec), `Ok`/`Error`/`Unset` (old Go exporter), `STATUS_CODE_*` (collector). Other values stay an attribute. |
/// | tag `otel.status_description` | `status.message` | Read only with `otel.status_code`. |
/// | tag `error` | `status` | With `otel.status_code` = `ERROR`: the message (the spec writes the description there). Otherwise any `error` tag makes the status ERROR, as in the collector; the value `true` is consumed, others stay an attribute. |
/// | tags `otel.scope.name` / `otel.library.name` | scope `name` | `otel.scope.*` preferred. Spans are grouped by scope within a resource. |
/// | tags `otel.scope.version` / `otel.library.version` | scope `version` | |
/// | tag `w3c.tracestate` | `traceState` | |
/// | tags `otlp.link.0`, `otlp.link.1`, … | `links` | The collector's format, below. A value that does not parse stays an attribute. |
/// | tags `otel.dropped_attributes_count`, `otel.dropped_events_count`, `otel.dropped_links_count` | dropped counts | Decimal `UInt32`; other values stay attributes. |
/// | tags named by resource semantic conventions | resource attributes | The collector's list (semconv 1.6.1 resource keys: `service.*`, `telemetry.sdk.*`, `host.*`, `k8s.*`, …), as OpenTelemetry exporters copy resource attributes into every span's tags. |
/// | — | `flags`, link `flags`, schema URLs | Zipkin has no place for them: 0 / "" after decoding, dropped when encoding. |
///
/// A link tag is `traceId`, `spanId`, `traceState`, the attributes as a JSON object and
/// the dropped attribute count, joined by `|` (IDs empty when all zero).
///
/// An annotation `value` is read in the first of these forms it fits:
/// 1. `{"name": {attributes}}` — what the OpenTelemetry Python SDK writes;
/// 2. `"name": {attributes}` — the specification's form, which ``encode(_:)`` writes;
/// 3. `name|{attributes}|droppedAttributesCount` — the collector's form;
/// 4. anything else is the event name, attributes empty.
///
/// Attribute JSON keeps its types: strings, booleans, `null` (an empty value), arrays,
/// objects (key-value lists); a number without `.` or exponent that fits `Int64` is an
/// int, any other number a double. In forms 1 and 2 the member
/// `otel.dropped_attributes_count` is the event's dropped attribute count.
///
/// ## Encoding
///
/// The reverse of the table, with the specification's rules where it has them:
/// - resource attributes other than the service name become tags (as the collector and
///   the SDK exporters do); the service name is `service.name`, else `faas.name`,
///   `k8s.deployment.name` or `process.executable.name` (then naming its key in
///   `otlp.service.name.source`);
/// - the scope becomes `otel.scope.name`/`otel.scope.version` and the deprecated aliases
///   `otel.library.name`/`otel.library.version` (each only when not empty); scope
///   attributes become tags (span attributes win on a clash);
/// - attributes that are not strings become string tags: `true`/`false`, decimal
///   integers, the shortest round-trip text of doubles, arrays and key-value lists as
///   compact JSON, bytes as base64, empty values as `""`;
/// - status OK: `otel.status_code` = `OK`; ERROR: `otel.status_code` = `ERROR` and
///   `error` = the message (`""` if none); any `error` attribute is dropped unless the
///   status is ERROR; a message on a non-ERROR status goes to `otel.status_description`;
/// - events become annotations: the plain name, or `"name": {attributes}` when the event
///   has attributes or a dropped count (or a name that would read as one of the
///   structured forms);
/// - links become `otlp.link.N` tags; non-zero dropped counts become `otel.dropped_*` tags;
/// - the endpoints are rebuilt from the attributes above (also from the older keys
///   `net.host.ip`, `peer.service`, `net.peer.ip` and the newer `network.local.port`,
///   `network.peer.port`); an attribute used for an endpoint is not repeated as a tag.
///
/// A Zipkin-representable batch — resource attributes only under the resource keys,
/// string span attributes, times on whole microseconds with a non-zero start, no flags or
/// schema URLs — decodes back from its encoding unchanged.
///
/// ## Where Spindle differs from the collector
///
/// Each difference keeps information the collector would drop or misread:
/// - `debug` and `shared` are kept as attributes (the collector drops them);
/// - `otel.status_code` also accepts the specification's `OK`/`ERROR`/`UNSET`, which the
///   OpenTelemetry SDK exporters write (the collector reads them as UNSET), and with
///   ERROR the `error` tag is read as the message, the reverse of the specification's
///   exporter rule (the collector keeps it as an attribute and leaves the message empty);
///   an unknown `otel.status_code` stays an attribute (the collector drops it);
/// - `otel.scope.name`/`otel.scope.version` are read as well as the `otel.library.*` aliases;
/// - annotation values in the specification's and the Python SDK's forms carry event
///   attributes (the collector reads only its own `|` form, and takes the text before the
///   first `|` as the name even when the rest is not that form); event and link attribute
///   numbers keep their JSON type by their text (the collector makes every whole double an int);
/// - a malformed `otlp.link.N` tag stays an attribute (the collector fails the batch or
///   drops it), a `span.kind` tag other than `internal` stays an attribute, and a tag that
///   names the same key as an endpoint field wins (the specification's `peer.service` rule;
///   the collector lets the endpoint overwrite it);
/// - `otel.dropped_*_count` tags become the dropped counts;
/// - resource tags that differ between spans of one service make separate resources
///   (the collector takes the first span's and drops the others'), and spans keep payload
///   order (the collector sorts them by service and library name);
/// - trace and span IDs must have exactly 32 or 16 and 16 hex digits (zipkin-go accepts
///   shorter ones), and an all-zero trace ID is rejected.
///
/// ## Bad input
///
/// ``decode(_:)`` is total: malformed JSON, a top level that is not an array, a field of
/// the wrong type, a bad or missing ID, a negative or overflowing time throw a
/// ``WireError`` naming the field (`[3].traceId`, `[0].annotations[1].timestamp`,
/// `[2].tags["http.method"]`) and the byte offset of the value. Unknown fields are
/// ignored.
public enum ZipkinJSON {
    /// The largest body ``decode(_:)`` accepts, in bytes. Batches address their strings
    /// with 32-bit offsets; this keeps every decoded batch well inside that.
    public static let maxPayloadBytes = 64 << 20

    /// Decodes a Zipkin v2 JSON array of spans (POST /api/v2/spans body).
    ///
    /// Spans are grouped into one `ResourceSpans` per distinct resource and one
    /// `ScopeSpans` per scope within it, both in order of first appearance; spans keep
    /// their payload order within a scope.
    ///
    /// The batch's arena is the payload itself (text that had escapes, and the keys the
    /// mapping adds, follow it), so decoding copies no string that needs no unescaping.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> SpanBatch {
        guard bytes.count <= maxPayloadBytes else {
            throw WireError(.tooLarge, field: "", offset: 0, "the payload is \(bytes.count) bytes; Zipkin JSON payloads are limited to \(maxPayloadBytes) bytes, so split the batch")
        }
        let tables = try JSONDocument.decode(bytes, maxDepth: JSONReader.defaultMaxDepth) { scanner throws(WireError) in
            var decoder = ZipkinBatchDecoder(scanner: scanner, payload: bytes)
            try decoder.decodeArray()
            decoder.finishTables()
            scanner = decoder.scanner
            return decoder.tables
        }
        return SpanBatch(tables: tables)
    }

    /// Encodes spans as a Zipkin v2 JSON array.
    ///
    /// Encoding does not validate: a span with an all-zero ID is written as it is (and
    /// ``decode(_:)`` rejects it).
    public static func encode(_ batch: SpanBatch) -> [UInt8] {
        let tables = batch.tables
        // Room for every span's text, so that the buffer rarely grows: the fixed fields, and
        // each span's copy of its resource's and scope's tags next to its own.
        let resourceTags = tables.resources.reduce(0) { max($0, Int($1.attributes.count)) }
        let scopeTags = tables.scopes.reduce(0) { max($0, Int($1.attributes.count)) }
        let perSpan = 400 + 64 * (resourceTags + scopeTags + 4)
        let estimate = tables.spans.count * perSpan + tables.arena.count + tables.spanAttributes.count * 48
            + tables.events.count * 160 + tables.links.count * 256 + 64
        var out = JSONOutput(capacity: min(estimate, JSONOutput.largestInitialCapacity))
        tables.arena.withUnsafeBytes { arena in
            var encoder = ZipkinBatchEncoder(tables: tables, arena: arena)
            encoder.write(into: &out)
        }
        return out.finish()
    }
}

/// Tag and attribute keys of the mapping, in one place: `StaticString`s, which the codecs
/// compare with bytes and write without creating a String.
enum ZipkinKeys {
    static let statusCode: StaticString = "otel.status_code"
    static let statusDescription: StaticString = "otel.status_description"
    static let error: StaticString = "error"
    static let scopeName: StaticString = "otel.scope.name"
    static let scopeVersion: StaticString = "otel.scope.version"
    static let libraryName: StaticString = "otel.library.name"
    static let libraryVersion: StaticString = "otel.library.version"
    static let traceState: StaticString = "w3c.tracestate"
    static let spanKind: StaticString = "span.kind"
    static let linkPrefix: StaticString = "otlp.link."
    static let droppedAttributesCount: StaticString = "otel.dropped_attributes_count"
    static let droppedEventsCount: StaticString = "otel.dropped_events_count"
    static let droppedLinksCount: StaticString = "otel.dropped_links_count"
    static let serviceNameSource: StaticString = "otlp.service.name.source"
    static let serviceName: StaticString = "service.name"
    static let startTimeAbsent: StaticString = "otel.zipkin.absentField.startTime"
    static let debug: StaticString = "zipkin.debug"
    static let shared: StaticString = "zipkin.shared"

    // Endpoints: the collector's current default names (its network feature gates are
    // beta, so on), and the older names encoding also reads.
    static let localAddress: StaticString = "network.local.address"
    static let localPort: StaticString = "net.host.port"
    static let peerService: StaticString = "service.peer.name"
    static let peerAddress: StaticString = "network.peer.address"
    static let peerPort: StaticString = "net.peer.port"
    static let legacyLocalAddress: StaticString = "net.host.ip"
    static let newerLocalPort: StaticString = "network.local.port"
    static let legacyPeerService: StaticString = "peer.service"
    static let legacyPeerAddress: StaticString = "net.peer.ip"
    static let newerPeerPort: StaticString = "network.peer.port"

    /// Tags that describe the resource, not the span: the resource keys of semantic
    /// conventions 1.6.1 and the OpenCensus resource keys, the collector's
    /// `nonSpanAttributes`.
    static let resourceKeys: Set<String> = [
        "cloud.provider", "cloud.account.id", "cloud.region", "cloud.availability_zone", "cloud.platform",
        "aws.ecs.container.arn", "aws.ecs.cluster.arn", "aws.ecs.launchtype", "aws.ecs.task.arn",
        "aws.ecs.task.family", "aws.ecs.task.revision", "aws.eks.cluster.arn",
        "aws.log.group.names", "aws.log.group.arns", "aws.log.stream.names", "aws.log.stream.arns",
        "container.name", "container.id", "container.runtime", "container.image.name", "container.image.tag",
        "deployment.environment",
        "device.id", "device.model.identifier", "device.model.name",
        "faas.name", "faas.id", "faas.version", "faas.instance", "faas.max_memory",
        "host.id", "host.name", "host.type", "host.arch", "host.image.name", "host.image.id", "host.image.version",
        "k8s.cluster.name", "k8s.node.name", "k8s.node.uid", "k8s.namespace.name", "k8s.pod.uid", "k8s.pod.name",
        "k8s.container.name", "k8s.replicaset.uid", "k8s.replicaset.name", "k8s.deployment.uid",
        "k8s.deployment.name", "k8s.statefulset.uid", "k8s.statefulset.name", "k8s.daemonset.uid",
        "k8s.daemonset.name", "k8s.job.uid", "k8s.job.name", "k8s.cronjob.uid", "k8s.cronjob.name",
        "os.type", "os.description", "os.name", "os.version",
        "process.pid", "process.executable.name", "process.executable.path", "process.command",
        "process.command_line", "process.command_args", "process.owner", "process.runtime.name",
        "process.runtime.version", "process.runtime.description",
        "service.name", "service.namespace", "service.instance.id", "service.version",
        "telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version", "telemetry.auto.version",
        "webengine.name", "webengine.version", "webengine.description",
        "opencensus.starttime", "opencensus.exporterversion", "opencensus.resourcetype",
    ]

    /// Resource keys that may stand in for `service.name`, in the collector's order.
    static let serviceNameFallbacks: [StaticString] = ["faas.name", "k8s.deployment.name", "process.executable.name"]
}

/// Tags in first-appearance order with map semantics: setting a key again replaces its
/// value in place (the last value wins, as in Zipkin's `map<string,string>`).
struct ZipkinTags {
    private var order: [String] = []
    private var known: Set<String> = []
    private var values: [String: String] = [:]

    init() {}

    subscript(key: String) -> String? { values[key] }

    subscript(key: StaticString) -> String? { values[key.description] }

    mutating func set(_ key: String, _ value: String) {
        values[key] = value
        if known.insert(key).inserted { order.append(key) }
    }

    @discardableResult
    mutating func remove(_ key: String) -> String? {
        values.removeValue(forKey: key)
    }

    @discardableResult
    mutating func remove(_ key: StaticString) -> String? {
        remove(key.description)
    }

    /// The tags left, in order.
    var entries: [(key: String, value: String)] {
        order.compactMap { key in values[key].map { (key, $0) } }
    }

    var isEmpty: Bool { values.isEmpty }
}
