#!/bin/sh
# Extracts, unchanged, the part of swift-otel 1.6.0 that turns its finished spans into an
# OTLP `ExportTraceServiceRequest`, from the swift-otel checkout this package resolves
# (README.md says why). The files are not committed (.gitignore); while they are absent,
# the SDKSpans benchmarks build without the swift-otel encode benchmark.
#
#     External/SwiftOTelEncoding/extract.sh [PATH-TO-A-SWIFT-OTEL-CLONE]
#
# Without an argument it resolves the Benchmarks package and reads .build/checkouts/swift-otel.
set -eu

tag=1.6.0
here=$(cd "$(dirname "$0")" && pwd)
package=$(cd "$here/../.." && pwd)
clone=${1:-}
if [ -z "$clone" ]; then
    (cd "$package" && swift package resolve >/dev/null)
    clone="$package/.build/checkouts/swift-otel"
fi
git -C "$clone" rev-parse --verify -q "$tag^{commit}" >/dev/null || {
    echo "extract.sh: $clone has no tag $tag" >&2
    exit 1
}

files="
OTLPCore/Generated/opentelemetry/proto/common/v1/common.pb.swift
OTLPCore/Generated/opentelemetry/proto/resource/v1/resource.pb.swift
OTLPCore/Generated/opentelemetry/proto/trace/v1/trace.pb.swift
OTLPCore/Generated/opentelemetry/proto/collector/trace/v1/trace_service.pb.swift
OTLPCore+Extensions/Tracing/OTelFinishedSpan+Proto.swift
OTLPCore+Extensions/Tracing/SpanAttributes+Proto.swift
OTLPCore+Extensions/Tracing/SpanEvent+Proto.swift
OTLPCore+Extensions/Tracing/SpanID+Proto.swift
OTLPCore+Extensions/Tracing/SpanKind+Proto.swift
OTLPCore+Extensions/Tracing/SpanLink+Proto.swift
OTLPCore+Extensions/Tracing/SpanStatus+Proto.swift
OTLPCore+Extensions/Tracing/TraceID+Proto.swift
OTelCore/Context/InstrumentationContext+OTelSpanContext.swift
OTelCore/Context/OTelSpanContext.swift
OTelCore/OTelLibrary.swift
OTelCore/Resource/OTelResource.swift
OTelCore/Tracing/OTelFinishedSpan.swift
"

rm -rf "$here/swift-otel"
for file in $files; do
    mkdir -p "$here/swift-otel/$(dirname "$file")"
    git -C "$clone" show "$tag:Sources/OTel/$file" > "$here/swift-otel/$file"
done
git -C "$clone" show "$tag:LICENSE.txt" > "$here/swift-otel/LICENSE.txt"
echo "extracted swift-otel $tag's span encoding into $here/swift-otel"
