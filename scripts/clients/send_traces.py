#!/usr/bin/env python3
"""Send real traces to a running Spindle with the official OpenTelemetry Python SDK.

    $(scripts/python-env.sh) scripts/clients/send_traces.py \
        --protocol otlp-http --endpoint http://127.0.0.1:4318/v1/traces [--gzip]
    ... --protocol otlp-grpc --endpoint 127.0.0.1:4317 [--gzip]
    ... --protocol zipkin    --endpoint http://127.0.0.1:9411/api/v2/spans
    ... --protocol otlp-json --endpoint http://127.0.0.1:4318/v1/traces

Each run sends one trace through three services (each its own TracerProvider and
Resource, as three processes would): nested spans across services, every span
kind, events, a link, an error, and attributes of every type the SDK allows.
IDs and timestamps are derived from --seed, so a test knows exactly what to
expect. The exporters are the SDK's own (OTLPSpanExporter over HTTP and gRPC,
ZipkinExporter); for otlp-json, which the Python SDK has no exporter for, the
script converts the SDK's own encoded request to OTLP/JSON as the specification
writes it (hex IDs, int64 as strings) and POSTs it.

On success it prints a JSON manifest of what it sent (one object per span:
ids, name, kind, service, start/end ns, attributes with types, events, links,
status) and exits 0; an export the server refused makes it exit 1.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys

for _name in list(os.environ):
    if _name.startswith("OTEL_") or _name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        del os.environ[_name]
os.environ["NO_PROXY"] = "127.0.0.1,localhost"

from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult  # noqa: E402
from opentelemetry.sdk.trace.id_generator import IdGenerator  # noqa: E402
from opentelemetry.trace import Link, SpanKind, Status, StatusCode  # noqa: E402


class SeededIds(IdGenerator):
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.count = 0

    def generate_span_id(self) -> int:
        self.count += 1
        return (self.seed << 40) | (0xA0 << 32) | self.count

    def generate_trace_id(self) -> int:
        self.count += 1
        return (0x5B1D << 112) | (self.seed << 64) | (0xCAFE << 16) | self.count


class Recording:
    """Wraps an exporter, remembering every span it exported and every result."""

    def __init__(self, exporter) -> None:
        self.exporter = exporter
        self.spans = []
        self.failures = 0

    def export(self, spans):
        try:
            result = self.exporter.export(spans)
        except Exception as error:  # an exporter that raises has failed, not crashed the run
            print(f"send_traces: export failed: {error}", file=sys.stderr)
            result = SpanExportResult.FAILURE
        if result != SpanExportResult.SUCCESS:
            self.failures += 1
        self.spans.extend(spans)
        return result

    def shutdown(self):
        self.exporter.shutdown()

    def force_flush(self, timeout_millis=30000):
        return True


class OTLPJSONExporter:
    """POSTs the SDK's own encoding of the spans, converted to OTLP/JSON."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def export(self, spans):
        import requests
        from google.protobuf import json_format
        from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

        request = encode_spans(spans)
        body = json_format.MessageToDict(request, use_integers_for_enums=True)

        def hexify(node, key=None):
            if isinstance(node, dict):
                return {k: hexify(v, k) for k, v in node.items()}
            if isinstance(node, list):
                return [hexify(v, key) for v in node]
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(node, str):
                return base64.b64decode(node).hex()
            return node

        session = requests.Session()
        session.trust_env = False
        response = session.post(self.endpoint, data=json.dumps(hexify(body)), headers={"Content-Type": "application/json"}, timeout=30)
        return SpanExportResult.SUCCESS if response.status_code == 200 else SpanExportResult.FAILURE

    def shutdown(self):
        pass


def make_exporter(protocol: str, endpoint: str, gzip: bool):
    if protocol == "otlp-http":
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint, compression=Compression.Gzip if gzip else Compression.NoCompression, timeout=30)
    if protocol == "otlp-grpc":
        from grpc import Compression as GRPCCompression
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint, insecure=True, compression=GRPCCompression.Gzip if gzip else GRPCCompression.NoCompression, timeout=30)
    if protocol == "zipkin":
        from opentelemetry.exporter.zipkin.json import ZipkinExporter

        return ZipkinExporter(endpoint=endpoint, timeout=30)
    if protocol == "otlp-json":
        return OTLPJSONExporter(endpoint)
    raise SystemExit(f"unknown protocol {protocol}")


def typed(value):
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"double": value}
    if isinstance(value, str):
        return {"string": value}
    if isinstance(value, (list, tuple)):
        return {"array": [typed(v) for v in value]}
    raise TypeError(type(value))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--protocol", required=True, choices=["otlp-http", "otlp-grpc", "zipkin", "otlp-json"])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    prefix = args.protocol
    ids = SeededIds(args.seed)
    base = 1_700_000_000_000_000_000 + args.seed * 1_000_000_000
    recorders = []
    tracers = {}
    for service in ("frontend", "api", "db"):
        provider = TracerProvider(
            resource=Resource({"service.name": f"{prefix}-{service}", "service.version": "2.0.1", "deployment.environment": "test"}),
            id_generator=ids,
        )
        recorder = Recording(make_exporter(args.protocol, args.endpoint, args.gzip))
        provider.add_span_processor(SimpleSpanProcessor(recorder))
        recorders.append((provider, recorder))
        tracers[service] = provider.get_tracer("spindle.clients", "1.0.0")

    attributes = {
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "attr.double": 2.5,
        "attr.bool": True,
        "attr.unicode": "Grüße, 世界 🚀",
        "attr.int_big": 9007199254740993,
        "attr.string_array": ["a", "", "ü"],
        "attr.int_array": [1, -2, 3],
        "attr.bool_array": [True, False],
        "attr.double_array": [0.5, -1.25],
    }

    frontend = tracers["frontend"].start_span("GET /checkout", kind=SpanKind.SERVER, start_time=base, attributes=attributes)
    ctx = trace.set_span_in_context(frontend)
    api = tracers["api"].start_span("POST /orders", context=ctx, kind=SpanKind.SERVER, start_time=base + 1_000_000, attributes={"order.items": 3})
    api.add_event("order.validated", {"items": 3, "express": False}, timestamp=base + 2_000_000)
    api_ctx = trace.set_span_in_context(api)
    query = tracers["db"].start_span(
        "SELECT orders",
        context=api_ctx,
        kind=SpanKind.CLIENT,
        start_time=base + 3_000_000,
        attributes={"db.system": "postgresql", "db.statement": "SELECT * FROM orders WHERE id = $1"},
        links=[Link(frontend.get_span_context(), {"link.reason": "caused-by"})],
    )
    query.add_event("retry", {"attempt": 1}, timestamp=base + 4_000_000)
    query.set_status(Status(StatusCode.ERROR, "deadlock detected"))
    query.end(end_time=base + 9_000_000)
    publish = tracers["api"].start_span("publish order.created", context=api_ctx, kind=SpanKind.PRODUCER, start_time=base + 10_000_000)
    publish.end(end_time=base + 11_000_000)
    work = tracers["api"].start_span("render", context=api_ctx, kind=SpanKind.INTERNAL, start_time=base + 11_500_000)
    work.end(end_time=base + 11_800_000)
    api.set_status(Status(StatusCode.OK))
    api.end(end_time=base + 12_000_000)
    consumer = tracers["db"].start_span("process order.created", context=trace.set_span_in_context(publish), kind=SpanKind.CONSUMER, start_time=base + 13_000_000)
    consumer.end(end_time=base + 14_000_000)
    frontend.end(end_time=base + 20_000_000)

    failures = 0
    manifest = []
    for provider, recorder in recorders:
        provider.shutdown()
        failures += recorder.failures
        for span in recorder.spans:
            manifest.append({
                "trace_id": format(span.context.trace_id, "032x"),
                "span_id": format(span.context.span_id, "016x"),
                "parent_span_id": format(span.parent.span_id, "016x") if span.parent else "",
                "name": span.name,
                "kind": span.kind.name.lower(),
                "service": span.resource.attributes["service.name"],
                "start": str(span.start_time),
                "end": str(span.end_time),
                "attributes": {k: typed(v) for k, v in span.attributes.items()},
                "events": [{"name": e.name, "time": str(e.timestamp), "attributes": {k: typed(v) for k, v in e.attributes.items()}} for e in span.events],
                "links": [{"trace_id": format(l.context.trace_id, "032x"), "span_id": format(l.context.span_id, "016x"), "attributes": {k: typed(v) for k, v in l.attributes.items()}} for l in span.links],
                "status": {"code": span.status.status_code.name.lower(), "message": span.status.description or ""},
            })
    json.dump(manifest, sys.stdout, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
    if failures:
        print(f"send_traces: {failures} exports failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
