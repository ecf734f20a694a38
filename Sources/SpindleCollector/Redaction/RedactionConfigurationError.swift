/// A ``RedactionConfiguration`` that cannot work, found when the ``Redactor`` is built,
/// before any span is seen.
public struct RedactionConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// An extra pattern's `Regex` does not compile, or matches the empty string.
        case invalidPattern
        /// A rule name is malformed, taken twice, or names no rule.
        case invalidRuleName
        /// An extra secret key has no letters or digits, or is longer than a key can match.
        case invalidSecretKey
        /// A rule hashes but there is no hash key, or the key is too short.
        case invalidHashKey
    }

    public var code: Code
    /// What is wrong and how to fix it, naming the pattern, rule or key at fault.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "invalid redaction configuration (\(code.rawValue)): \(message)" }
}
