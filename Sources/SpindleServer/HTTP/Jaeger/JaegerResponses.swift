import Hummingbird
import SpindleWire

/// The envelopes of Jaeger's two query APIs.
///
/// - Internal API (`/api/...`), Jaeger's `structuredResponse`:
///   `{"data":…,"total":N,"limit":0,"offset":0,"errors":null}`; a failure is
///   `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":400,"msg":"…"}]}`.
/// - API v3 (`/api/v3/...`), grpc-gateway's: the message itself, or
///   `{"error":{"httpCode":404,"message":"…"}}`.
enum JaegerResponses {
    /// An entry of `errors`: `code` and `traceID` are left out when absent, as Jaeger's
    /// `omitempty` leaves them.
    struct StructuredError: Sendable {
        var code: Int?
        var message: String
        var traceID: String?
    }

    /// A `structuredResponse` whose `data` `writeData` writes; `errors` is null when empty.
    static func structured(total: Int = 0, errors: [StructuredError] = [], _ writeData: (inout JSONWriter) -> Void) -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("data")
        writeData(&writer)
        writer.key("total")
        writer.int(Int64(total))
        writer.key("limit")
        writer.int(0)
        writer.key("offset")
        writer.int(0)
        writer.key("errors")
        if errors.isEmpty {
            writer.null()
        } else {
            writer.beginArray()
            for error in errors {
                writer.beginObject()
                if let code = error.code {
                    writer.key("code")
                    writer.int(Int64(code))
                }
                writer.key("msg")
                writer.string(error.message)
                if let traceID = error.traceID {
                    writer.key("traceID")
                    writer.string(traceID)
                }
                writer.endObject()
            }
            writer.endArray()
        }
        writer.endObject()
        return json(writer.bytes)
    }

    /// `data` as an array of strings, `total` its count.
    static func strings(_ values: [String]) -> Response {
        structured(total: values.count) { writer in
            writer.beginArray()
            for value in values { writer.string(value) }
            writer.endArray()
        }
    }

    /// A refusal in the internal API's shape, with its status.
    static func error(_ error: APIError) -> Response {
        var response = structured(errors: [StructuredError(code: Int(error.status.code), message: error.message)]) { $0.null() }
        response.status = error.status
        return response
    }

    /// A refusal in API v3's shape, with its status.
    static func v3Error(_ error: APIError) -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.key("httpCode")
        writer.int(Int64(error.status.code))
        writer.key("message")
        writer.string(error.message)
        writer.endObject()
        writer.endObject()
        return json(writer.bytes, status: error.status)
    }

    /// API v3's answer with traces: `{"result":<OTLP JSON TracesData>}`, grpc-gateway's
    /// wrapping of a streamed message.
    static func v3Traces(_ otlp: [UInt8]) -> Response {
        var body: [UInt8] = []
        body.reserveCapacity(otlp.count + 11)
        body += #"{"result":"#.utf8
        body += otlp
        body.append(UInt8(ascii: "}"))
        return json(body)
    }

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response.bytes(status: status, bytes, contentType: "application/json")
    }
}
