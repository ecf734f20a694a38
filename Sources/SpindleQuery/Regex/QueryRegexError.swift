/// Why a pattern was refused: the byte offset in the pattern and what is wrong there,
/// worded as RE2 words it (`missing closing )`, `invalid escape sequence: \1`).
public struct QueryRegexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// UTF-8 byte offset in the pattern where the problem starts.
    public var offset: Int
    public var message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "at offset \(offset) of the regular expression: \(message)" }
}
