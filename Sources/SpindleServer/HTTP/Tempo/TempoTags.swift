import SpindleQuery
import SpindleStorage

/// Tempo's tag vocabulary: the intrinsics its tag APIs list, the legacy logfmt tag
/// search (translated to TraceQL, as Tempo 2 does), and TraceQL identifiers in the v2
/// tag-values API.
enum TempoTags {
    /// The intrinsic fields Spindle's TraceQL answers, as `/api/v2/search/tags` lists them.
    static let intrinsics = TraceQLQuery.intrinsicNames

    /// The largest logfmt `tags` parameter accepted.
    static let maxTagsLength = 16 << 10

    /// Translates `key=value key2="value 2"` into a TraceQL spanset filter that matches a
    /// span carrying every pair. `service.name` is the resource's service, `name` the span
    /// name, `status` the span status; any other key is an attribute of the span or its
    /// resource (`.key`). Values compare as strings, and also as numbers or booleans when
    /// they read as such, since logfmt has no types.
    static func traceQL(fromLogfmt text: String) throws(APIError) -> String {
        guard text.utf8.count <= maxTagsLength else {
            throw .badParameter("tags", "longer than \(maxTagsLength) bytes")
        }
        let pairs = try logfmtPairs(text)
        guard !pairs.isEmpty else { return "{}" }
        let conditions = pairs.map { key, value -> String in
            guard let value else { return "\(attribute(key)) != nil" }
            switch key {
            case "service.name": return "resource.service.name = \(quoted(value))"
            case "name": return "name = \(quoted(value))"
            case "status" where ["error", "ok", "unset"].contains(value): return "status = \(value)"
            default: break
            }
            var alternatives = ["\(attribute(key)) = \(quoted(value))"]
            if Int64(value) != nil || (Double(value)?.isFinite ?? false) && value.contains(".") {
                alternatives.append("\(attribute(key)) = \(value)")
            } else if value == "true" || value == "false" {
                alternatives.append("\(attribute(key)) = \(value)")
            }
            return alternatives.count == 1 ? alternatives[0] : "(" + alternatives.joined(separator: " || ") + ")"
        }
        return "{ " + conditions.joined(separator: " && ") + " }"
    }

    /// logfmt: space-separated `key=value`, values optionally double-quoted with `\"` and
    /// `\\` escapes; a bare key has no value.
    static func logfmtPairs(_ text: String) throws(APIError) -> [(String, String?)] {
        var pairs: [(String, String?)] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func isSpace(_ s: Unicode.Scalar) -> Bool { s == " " || s == "\t" || s == "\n" || s == "\r" }
        while index < scalars.count {
            while index < scalars.count, isSpace(scalars[index]) { index += 1 }
            guard index < scalars.count else { break }
            var key = String.UnicodeScalarView()
            while index < scalars.count, !isSpace(scalars[index]), scalars[index] != "=" {
                guard scalars[index] != "\"" else {
                    throw .badParameter("tags", "a key may not contain a quote (at character \(index + 1))")
                }
                key.append(scalars[index])
                index += 1
            }
            guard !key.isEmpty else { throw .badParameter("tags", "expected a key before \"=\" (at character \(index + 1))") }
            guard index < scalars.count, scalars[index] == "=" else {
                pairs.append((String(key), nil))
                continue
            }
            index += 1
            var value = String.UnicodeScalarView()
            if index < scalars.count, scalars[index] == "\"" {
                let opening = index
                index += 1
                var closed = false
                while index < scalars.count {
                    let scalar = scalars[index]
                    if scalar == "\\", index + 1 < scalars.count {
                        value.append(scalars[index + 1])
                        index += 2
                    } else if scalar == "\"" {
                        closed = true
                        index += 1
                        break
                    } else {
                        value.append(scalar)
                        index += 1
                    }
                }
                guard closed else { throw .badParameter("tags", "unterminated quoted value starting at character \(opening + 1)") }
            } else {
                while index < scalars.count, !isSpace(scalars[index]) {
                    value.append(scalars[index])
                    index += 1
                }
            }
            pairs.append((String(key), String(value)))
        }
        return pairs
    }

    /// A TraceQL string literal.
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `.key` for an attribute of either scope, quoted when the key is not a plain name.
    static func attribute(_ key: String) -> String {
        let plain = key.unicodeScalars.allSatisfy { scalar in
            (scalar.value >= 0x30 && scalar.value <= 0x39) || (scalar.value >= 0x41 && scalar.value <= 0x5A)
                || (scalar.value >= 0x61 && scalar.value <= 0x7A) || scalar == "_" || scalar == "." || scalar == "-" || scalar == "/"
        }
        return plain ? "." + key : "." + quoted(key)
    }

    // MARK: - v2 tag values

    enum Identifier: Equatable {
        case attribute(scopes: [AttributeScope], key: String)
        case keywords([String])
        case spanNames
        case serviceNames
        /// Intrinsics with no useful list of values (durations, IDs, messages).
        case notEnumerable
        case invalid(String)
    }

    /// What a TraceQL identifier in `/api/v2/search/tag/{identifier}/values` names.
    static func identifier(_ text: String) -> Identifier {
        switch text {
        case "status", "span:status": return .keywords(["error", "ok", "unset"])
        case "kind", "span:kind": return .keywords(["client", "consumer", "internal", "producer", "server", "unspecified"])
        case "name", "span:name", "rootName", "trace:rootName": return .spanNames
        case "instrumentation:name", "instrumentation:version": return .notEnumerable
        case "rootServiceName", "trace:rootService", "resource.service.name": return .serviceNames
        case "duration", "span:duration", "traceDuration", "trace:duration", "statusMessage", "span:statusMessage",
             "span:id", "span:parentID", "trace:id", "event:name", "event:timeSinceStart", "childCount", "span:childCount",
             "link:traceID", "link:spanID":
            return .notEnumerable
        default: break
        }
        func unquote(_ key: Substring) -> String {
            if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") { return String(key.dropFirst().dropLast()) }
            return String(key)
        }
        if text.hasPrefix("resource.") { return .attribute(scopes: [.resource], key: unquote(text.dropFirst("resource.".count))) }
        if text.hasPrefix("span.") { return .attribute(scopes: [.span], key: unquote(text.dropFirst("span.".count))) }
        if text.hasPrefix("event.") || text.hasPrefix("link.") || text.hasPrefix("instrumentation.") { return .notEnumerable }
        if text.hasPrefix("."), text.count > 1 { return .attribute(scopes: [.span, .resource], key: unquote(text.dropFirst())) }
        return .invalid("expected a TraceQL identifier such as resource.service.name, span.http.method or .key, got \(QueryParameters.quoted(text))")
    }

    /// A tag value and its TraceQL type, as the v2 API returns them.
    struct TypedValue: Equatable {
        var type: String
        var value: String

        init(type: String, value: String) {
            self.type = type
            self.value = value
        }

        /// The store keeps values for autocomplete as text; numbers and booleans are told
        /// apart by their form.
        init(inferringFrom text: String) {
            if Int64(text) != nil {
                self.init(type: "int", value: text)
            } else if text.contains("."), let number = Double(text), number.isFinite {
                self.init(type: "float", value: text)
            } else if text == "true" || text == "false" {
                self.init(type: "bool", value: text)
            } else {
                self.init(type: "string", value: text)
            }
        }
    }
}
