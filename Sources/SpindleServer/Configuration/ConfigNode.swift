import Yams

/// A mapping of the configuration file, read key by key with errors that name the file,
/// the line and the key's path (`tail_sampling.policies[2].threshold`).
///
/// Every key read is remembered; ``finish()`` then refuses any key that was not, so a
/// misspelt setting is an error rather than silently ignored.
final class ConfigMapping {
    let path: String
    let line: Int
    private let entries: [(key: String, value: Node, line: Int)]
    private var used: Set<String> = []

    init(_ node: Node, path: String) throws(ConfigFileError) {
        guard case .mapping(let mapping) = node else {
            throw ConfigFileError(line: node.mark?.line, "\(path.isEmpty ? "the file" : path) must be a mapping of keys to values")
        }
        self.path = path
        line = node.mark?.line ?? 0
        var entries: [(String, Node, Int)] = []
        var seen: Set<String> = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                throw ConfigFileError(line: key.mark?.line, "\(path.isEmpty ? "" : path + ": ")keys must be plain words")
            }
            guard seen.insert(scalar.string).inserted else {
                throw ConfigFileError(line: key.mark?.line, "\(Self.join(path, scalar.string)) is given twice")
            }
            entries.append((scalar.string, value, key.mark?.line ?? 0))
        }
        self.entries = entries
    }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    func keyPath(_ key: String) -> String { Self.join(path, key) }

    /// The node under `key`, nil when absent or `null`/`~`.
    func node(_ key: String) -> Node? {
        used.insert(key)
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        if case .scalar(let scalar) = entry.value, scalar.style == .plain, ["null", "~", ""].contains(scalar.string) { return nil }
        return entry.value
    }

    var keys: [String] { entries.map(\.key) }

    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// Refuses every key not read, naming the ones that are allowed here.
    func finish() throws(ConfigFileError) {
        for entry in entries where !used.contains(entry.key) {
            let known = used.sorted().joined(separator: ", ")
            throw ConfigFileError(line: entry.line, "unknown key \(keyPath(entry.key)); the keys here are: \(known)")
        }
    }

    // MARK: Typed values

    func scalar(_ key: String) throws(ConfigFileError) -> (text: String, line: Int)? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let scalar) = node else {
            throw ConfigFileError(line: node.mark?.line, "\(keyPath(key)) must be a single value, not a list or mapping")
        }
        return (scalar.string, node.mark?.line ?? 0)
    }

    func string(_ key: String) throws(ConfigFileError) -> String? {
        try scalar(key)?.text
    }

    func bool(_ key: String) throws(ConfigFileError) -> Bool? {
        guard let (text, line) = try scalar(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigFileError(line: line, "\(keyPath(key)) must be true or false, not \"\(text)\"")
        }
    }

    func int(_ key: String) throws(ConfigFileError) -> Int? {
        guard let (text, line) = try scalar(key) else { return nil }
        guard let value = Int(text.replacingUnderscores()) else {
            throw ConfigFileError(line: line, "\(keyPath(key)) must be a whole number, not \"\(text)\"")
        }
        return value
    }

    func double(_ key: String) throws(ConfigFileError) -> Double? {
        guard let (text, line) = try scalar(key) else { return nil }
        guard let value = Double(text.replacingUnderscores()), value.isFinite else {
            throw ConfigFileError(line: line, "\(keyPath(key)) must be a number, not \"\(text)\"")
        }
        return value
    }

    func duration(_ key: String) throws(ConfigFileError) -> Duration? {
        guard let (text, line) = try scalar(key) else { return nil }
        guard let value = DurationText.parse(text) else {
            throw ConfigFileError(line: line, "\(keyPath(key)) \"\(text)\" is not a duration; write a number with a unit: 250ms, 10s, 5m, 1h, 7d")
        }
        return value
    }

    func byteCount(_ key: String) throws(ConfigFileError) -> Int? {
        guard let (text, line) = try scalar(key) else { return nil }
        guard let value = ByteCount.parse(text) else {
            throw ConfigFileError(line: line, "\(keyPath(key)) \"\(text)\" is not a size; write bytes or a size with a unit (64MiB)")
        }
        return value
    }

    /// One of `cases` (compared lowercased).
    func choice<T>(_ key: String, _ cases: [(String, T)]) throws(ConfigFileError) -> T? {
        guard let (text, line) = try scalar(key) else { return nil }
        guard let match = cases.first(where: { $0.0 == text.lowercased() }) else {
            throw ConfigFileError(line: line, "\(keyPath(key)) \"\(text)\" is not one of: \(cases.map(\.0).joined(separator: ", "))")
        }
        return match.1
    }

    func mapping(_ key: String) throws(ConfigFileError) -> ConfigMapping? {
        guard let node = node(key) else { return nil }
        return try ConfigMapping(node, path: keyPath(key))
    }

    /// The items of a list, each with its path (`key[3]`).
    func list(_ key: String) throws(ConfigFileError) -> [(node: Node, path: String)]? {
        guard let node = node(key) else { return nil }
        guard case .sequence(let sequence) = node else {
            throw ConfigFileError(line: node.mark?.line, "\(keyPath(key)) must be a list (items starting with \"- \")")
        }
        return sequence.enumerated().map { ($0.element, "\(keyPath(key))[\($0.offset)]") }
    }

    func strings(_ key: String) throws(ConfigFileError) -> [String]? {
        guard let items = try list(key) else { return nil }
        var strings: [String] = []
        for (node, path) in items {
            guard case .scalar(let scalar) = node else {
                throw ConfigFileError(line: node.mark?.line, "\(path) must be a single value")
            }
            strings.append(scalar.string)
        }
        return strings
    }

    /// A mapping of strings to strings (headers, labels).
    func stringMap(_ key: String) throws(ConfigFileError) -> [String: String]? {
        guard let mapping = try mapping(key) else { return nil }
        var result: [String: String] = [:]
        for name in mapping.keys {
            result[name] = try mapping.string(name) ?? ""
        }
        return result
    }
}

/// What is wrong in the configuration file, and where.
struct ConfigFileError: Error, Sendable {
    var line: Int?
    var message: String

    init(line: Int?, _ message: String) {
        self.line = line
        self.message = message
    }
}

extension String {
    /// `100_000` as YAML writes large numbers.
    fileprivate func replacingUnderscores() -> String {
        String(filter { $0 != "_" })
    }
}
