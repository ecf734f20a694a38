"""An OTLP/gRPC trace receiver for SpindleOTLPGRPCTests, built on grpcio and the official
opentelemetry-proto classes.

Usage: otlp_grpc_receiver.py ANSWERS_JSON [--identity-only]
       otlp_grpc_receiver.py --silent

Serves TraceService/Export on a free port and a JSON list of the requests received on a
second one (GET /requests), and prints "GRPC_PORT HTTP_PORT" once both listen. Request N
gets ANSWERS_JSON[N], then OK:
  {"code": "UNAVAILABLE", "message": "..."}               fail with that status
  {..., "retryDelay": [seconds, nanos], "retryInfoIn": "status-details" | "retryinfo-bin"}
      ... carrying a google.rpc.RetryInfo in grpc-status-details-bin (a google.rpc.Status
      detail) or alone in google.rpc.retryinfo-bin
  {"rejectedSpans": 2, "errorMessage": "..."}              a partial success
Each request is recorded as its fields, one "path = JSON value" line each (IDs in hex), its
bytes in hex, and its metadata (binary values in hex). grpcio hides grpc-encoding from the
handler: --identity-only makes the server refuse compressed requests instead.

--silent listens on a free port, prints it, and never answers a connection.
"""

import base64
import json
import signal
import socket
import sys
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.json_format import MessageToDict
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

# Foundation's Process hands the child its own blocked-signal mask: unblock SIGTERM and
# restore its default action so that terminate() ends the receiver.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
signal.signal(signal.SIGTERM, signal.SIG_DFL)

ID_FIELDS = {"trace_id", "span_id", "parent_span_id"}


def field_lines(path, value, lines):
    if isinstance(value, dict):
        if not value:
            lines.append(f"{path} = {{}}")
        for key, item in value.items():
            field_lines(f"{path}.{key}" if path else key, item, lines)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            field_lines(f"{path}[{index}]", item, lines)
    else:
        if path.rsplit(".", 1)[-1] in ID_FIELDS:
            value = base64.b64decode(value).hex()
        lines.append(f"{path} = {json.dumps(value)}")
    return lines


class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, answers):
        self.answers = answers
        self.received = []
        self.lock = threading.Lock()

    def Export(self, request, context):
        metadata = {}
        for key, value in context.invocation_metadata():
            metadata[key] = value.hex() if isinstance(value, bytes) else value
        record = {
            "fields": field_lines("", MessageToDict(request, preserving_proto_field_name=True), []),
            "requestHex": request.SerializeToString().hex(),
            "metadata": metadata,
        }
        with self.lock:
            self.received.append(record)
            index = len(self.received) - 1
        answer = self.answers[index] if index < len(self.answers) else {}
        if "code" in answer:
            code = grpc.StatusCode[answer["code"]]
            if "retryDelay" in answer:
                seconds, nanos = answer["retryDelay"]
                info = error_details_pb2.RetryInfo(retry_delay=Duration(seconds=seconds, nanos=nanos))
                if answer["retryInfoIn"] == "status-details":
                    status = status_pb2.Status(code=code.value[0], message=answer["message"])
                    status.details.add().Pack(info)
                    context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
                else:
                    context.set_trailing_metadata((("google.rpc.retryinfo-bin", info.SerializeToString()),))
            context.abort(code, answer["message"])
        response = trace_service_pb2.ExportTraceServiceResponse()
        if "rejectedSpans" in answer:
            response.partial_success.rejected_spans = answer["rejectedSpans"]
            response.partial_success.error_message = answer["errorMessage"]
        return response


def serve(answers, identity_only):
    service = TraceService(answers)
    # Bit 0 of the bitset is identity (no compression): only it stays enabled.
    options = [("grpc.compression_enabled_algorithms_bitset", 1)] if identity_only else []
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=options)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(service, server)
    grpc_port = server.add_insecure_port("127.0.0.1:0")
    server.start()

    class Requests(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            with service.lock:
                body = json.dumps(service.received).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    http_server = ThreadingHTTPServer(("127.0.0.1", 0), Requests)
    print(grpc_port, http_server.server_address[1], flush=True)
    http_server.serve_forever()


def serve_silently():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(listener.getsockname()[1], flush=True)
    connections = []
    while True:
        connection, _ = listener.accept()
        connections.append(connection)


if __name__ == "__main__":
    if sys.argv[1:] == ["--silent"]:
        serve_silently()
    else:
        serve(json.loads(sys.argv[1]), "--identity-only" in sys.argv[2:])
