/// A place in the query text: 1-based line and column, columns counted in Unicode scalars.
struct SourcePosition: Hashable, Sendable {
    var line: Int
    var column: Int
}

/// One lexical token of TraceQL.
struct Token: Sendable {
    enum Kind: Hashable, Sendable {
        case leftBrace, rightBrace, leftParen, rightParen, comma, pipe
        /// `&&`, `||`, `!`.
        case and, or, not
        /// `=`, `!=`, `>`, `>=`, `<`, `<=`, `=~`, `!~` (also "not sibling" between spansets).
        case equal, notEqual, greater, greaterEqual, less, lessEqual, regex, notRegex
        /// `>>`, `<<`, `~`.
        case descendant, ancestor, tilde
        /// `!>`, `!<`, `!>>`, `!<<`.
        case notChild, notParent, notDescendant, notAncestor
        /// `&>`, `&<`, `&>>`, `&<<`, `&~`.
        case unionChild, unionParent, unionDescendant, unionAncestor, unionSibling
        case plus, minus, star, slash, percent, caret
        /// A bare word (`true`, `count`, `name`) or an intrinsic with a scope (`span:name`).
        case word(String)
        /// `span.x`, `resource."a b"`, `.x` and the like.
        case attribute(AttributeSelector, String)
        case string(String)
        case integer(Int64)
        case float(Double)
        /// Nanoseconds.
        case duration(Int64)
        case end
    }

    var kind: Kind
    var position: SourcePosition
    /// The token's source text, for messages.
    var text: String

    /// How messages name the token: its text in quotes, or "the end of the query".
    var quoted: String {
        if case .end = kind { return "the end of the query" }
        let shown = text.unicodeScalars.count > 40 ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(40))) + "…" : text
        // A string token's text already has its opening quote.
        if case .string = kind { return text.unicodeScalars.count > 40 ? shown + "\"" : text }
        return "\"\(shown)\""
    }
}

/// Splits TraceQL text into tokens. Total: every input yields tokens or a
/// ``TraceQLError`` naming the line and column of the problem.
///
/// Attribute names follow Tempo: after `span.`, `resource.`, `event.`, `link.`,
/// `instrumentation.` or a bare `.`, a name runs until whitespace or one of
/// `{ } ( ) = ~ ! < > & | ^ ,`; a name with such characters is written quoted
/// (`span."a b"`).
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    /// Every token of the text, ending with `.end`.
    static func tokenize(_ text: String) throws(TraceQLError) -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if case .end = token.kind { return tokens }
        }
    }

    // MARK: Reading scalars

    private var position: SourcePosition { SourcePosition(line: line, column: column) }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let at = index + offset
        return at < scalars.count ? scalars[at] : nil
    }

    private mutating func advance() {
        guard index < scalars.count else { return }
        if scalars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private func text(from start: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<index])
        return String(view)
    }

    func error(_ message: String, at position: SourcePosition) -> TraceQLError {
        TraceQLError(line: position.line, column: position.column, message: message)
    }

    // MARK: Tokens

    private mutating func skipWhitespace() {
        while let scalar = peek(), scalar.properties.isWhitespace { advance() }
    }

    mutating func next() throws(TraceQLError) -> Token {
        skipWhitespace()
        let start = index
        let position = self.position
        guard let scalar = peek() else { return Token(kind: .end, position: position, text: "") }

        func make(_ kind: Token.Kind, length: Int) -> Token {
            for _ in 0..<length { advance() }
            return Token(kind: kind, position: position, text: text(from: start))
        }

        switch scalar {
        case "{": return make(.leftBrace, length: 1)
        case "}": return make(.rightBrace, length: 1)
        case "(": return make(.leftParen, length: 1)
        case ")": return make(.rightParen, length: 1)
        case ",": return make(.comma, length: 1)
        case "+": return make(.plus, length: 1)
        case "-": return make(.minus, length: 1)
        case "*": return make(.star, length: 1)
        case "/": return make(.slash, length: 1)
        case "%": return make(.percent, length: 1)
        case "^": return make(.caret, length: 1)
        case "~": return make(.tilde, length: 1)
        case "|": return peek(1) == "|" ? make(.or, length: 2) : make(.pipe, length: 1)
        case "=": return peek(1) == "~" ? make(.regex, length: 2) : make(.equal, length: 1)
        case ">":
            if peek(1) == "=" { return make(.greaterEqual, length: 2) }
            return peek(1) == ">" ? make(.descendant, length: 2) : make(.greater, length: 1)
        case "<":
            if peek(1) == "=" { return make(.lessEqual, length: 2) }
            return peek(1) == "<" ? make(.ancestor, length: 2) : make(.less, length: 1)
        case "!":
            switch peek(1) {
            case "=": return make(.notEqual, length: 2)
            case "~": return make(.notRegex, length: 2)
            case ">": return peek(2) == ">" ? make(.notDescendant, length: 3) : make(.notChild, length: 2)
            case "<": return peek(2) == "<" ? make(.notAncestor, length: 3) : make(.notParent, length: 2)
            default: return make(.not, length: 1)
            }
        case "&":
            switch peek(1) {
            case "&": return make(.and, length: 2)
            case "~": return make(.unionSibling, length: 2)
            case ">": return peek(2) == ">" ? make(.unionDescendant, length: 3) : make(.unionChild, length: 2)
            case "<": return peek(2) == "<" ? make(.unionAncestor, length: 3) : make(.unionParent, length: 2)
            default: throw error("unexpected \"&\"; did you mean \"&&\"?", at: position)
            }
        case "\"", "`":
            let value = try lexString()
            return Token(kind: .string(value), position: position, text: text(from: start))
        case ".":
            if let next = peek(1), Self.isDigit(next) { return try lexNumber() }
            advance()
            let name = try lexAttributeName(after: ".", at: position)
            return Token(kind: .attribute(.any, name), position: position, text: text(from: start))
        default:
            if Self.isDigit(scalar) { return try lexNumber() }
            if Self.isWordStart(scalar) { return try lexWord() }
            throw error("unexpected character \"\(Character(scalar))\"", at: position)
        }
    }

    // MARK: Words, intrinsics and attributes

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= 0x30 && scalar.value <= 0x39 }

    static func isWordStart(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value >= 0x41 && scalar.value <= 0x5A) || (scalar.value >= 0x61 && scalar.value <= 0x7A) || scalar == "_"
    }

    static func isWordPart(_ scalar: Unicode.Scalar) -> Bool { isWordStart(scalar) || isDigit(scalar) }

    /// Characters that may appear in an unquoted attribute name (Tempo's rule).
    static func isAttributeScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.isWhitespace { return false }
        switch scalar {
        case "{", "}", "(", ")", "=", "~", "!", "<", ">", "&", "|", "^", ",": return false
        default: return true
        }
    }

    private mutating func lexWord() throws(TraceQLError) -> Token {
        let start = index
        let position = self.position
        while let scalar = peek(), Self.isWordPart(scalar) { advance() }
        let word = text(from: start)
        if peek() == ".", let scope = AttributeSelector(scopeWord: word) {
            advance()
            let name = try lexAttributeName(after: word + ".", at: position)
            return Token(kind: .attribute(scope, name), position: position, text: text(from: start))
        }
        if peek() == ":", let next = peek(1), Self.isWordStart(next) {
            advance()
            while let scalar = peek(), Self.isWordPart(scalar) { advance() }
        }
        return Token(kind: .word(text(from: start)), position: position, text: text(from: start))
    }

    private mutating func lexAttributeName(after prefix: String, at position: SourcePosition) throws(TraceQLError) -> String {
        if peek() == "\"" || peek() == "`" {
            let name = try lexString()
            if name.isEmpty { throw error("expected an attribute name after \"\(prefix)\", found an empty quoted name", at: position) }
            return name
        }
        let start = index
        while let scalar = peek(), Self.isAttributeScalar(scalar) { advance() }
        if index == start {
            let found: String
            if let next = peek() {
                found = next.properties.isWhitespace ? "whitespace" : "\"\(Character(next))\""
            } else {
                found = "the end of the query"
            }
            throw error("expected an attribute name after \"\(prefix)\", found \(found)", at: position)
        }
        return text(from: start)
    }

    // MARK: Strings

    /// A double-quoted string with escapes (`\" \\ \n \r \t \0 \u{…} \uXXXX`), or a
    /// backtick string taken literally (it may span lines).
    private mutating func lexString() throws(TraceQLError) -> String {
        let position = self.position
        let quote = peek()
        advance()
        var value = String.UnicodeScalarView()
        while true {
            guard let scalar = peek() else {
                throw error("unterminated string: expected a closing \(quote == "`" ? "`" : "\"") before the end of the query", at: position)
            }
            if scalar == quote {
                advance()
                return String(value)
            }
            if quote == "`" {
                value.append(scalar)
                advance()
                continue
            }
            if scalar == "\n" {
                throw error("unterminated string: a double-quoted string cannot span lines (use a backtick string)", at: position)
            }
            if scalar != "\\" {
                value.append(scalar)
                advance()
                continue
            }
            let escapePosition = self.position
            advance()
            guard let escaped = peek() else {
                throw error("unterminated string: expected a closing \" before the end of the query", at: position)
            }
            advance()
            switch escaped {
            case "\"": value.append("\"")
            case "\\": value.append("\\")
            case "'": value.append("'")
            case "n": value.append("\n")
            case "r": value.append("\r")
            case "t": value.append("\t")
            case "0": value.append("\0")
            case "u": value.append(try lexUnicodeEscape(at: escapePosition))
            default:
                throw error("invalid escape \"\\\(Character(escaped))\" in string; use \\\\ for a backslash or a backtick string", at: escapePosition)
            }
        }
    }

    /// `\uXXXX` or `\u{X…}` (the `\u` already read).
    private mutating func lexUnicodeEscape(at position: SourcePosition) throws(TraceQLError) -> Unicode.Scalar {
        var digits = ""
        let braced = peek() == "{"
        if braced { advance() }
        while let scalar = peek(), scalar.properties.isASCIIHexDigit, digits.unicodeScalars.count < (braced ? 8 : 4) {
            digits.unicodeScalars.append(scalar)
            advance()
        }
        if braced {
            if peek() == "}" { advance() } else { digits = "" }
        } else if digits.unicodeScalars.count != 4 {
            digits = ""
        }
        guard !digits.isEmpty, let code = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(code) else {
            throw error("invalid unicode escape: expected \\uXXXX or \\u{X…} with hex digits naming a Unicode scalar", at: position)
        }
        return scalar
    }

    // MARK: Numbers and durations

    /// `12`, `1.5`, `.5`, `1e3`, or a duration such as `10ms`, `1.5s`, `1h30m`.
    private mutating func lexNumber() throws(TraceQLError) -> Token {
        let start = index
        let position = self.position
        var isFloat = false
        while let scalar = peek(), Self.isDigit(scalar) { advance() }
        if peek() == ".", let next = peek(1), Self.isDigit(next) {
            isFloat = true
            advance()
            while let scalar = peek(), Self.isDigit(scalar) { advance() }
        }
        if peek() == "e" || peek() == "E" {
            let signed = peek(1) == "+" || peek(1) == "-"
            if let digit = peek(signed ? 2 : 1), Self.isDigit(digit) {
                isFloat = true
                advance()
                if signed { advance() }
                while let scalar = peek(), Self.isDigit(scalar) { advance() }
            }
        }
        if let scalar = peek(), Self.isDurationScalar(scalar) || scalar == "." {
            // A duration: re-read the whole run of digits, dots and unit letters.
            index = start
            column = position.column
            while let scalar = peek(), Self.isDigit(scalar) || scalar == "." || Self.isDurationScalar(scalar) { advance() }
            let text = text(from: start)
            do {
                return Token(kind: .duration(try DurationLiteral.parse(text)), position: position, text: text)
            } catch let problem {
                throw error("invalid duration \"\(text)\": \(problem.message)", at: position)
            }
        }
        let text = text(from: start)
        if isFloat {
            guard let value = Double(text), value.isFinite else { throw error("invalid number \"\(text)\"", at: position) }
            return Token(kind: .float(value), position: position, text: text)
        }
        guard let value = Int64(text) else {
            throw error("integer \"\(text)\" is out of range (at most \(Int64.max))", at: position)
        }
        return Token(kind: .integer(value), position: position, text: text)
    }

    /// Letters that may follow a number: ASCII letters and the micro signs of `µs`.
    static func isDurationScalar(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value >= 0x41 && scalar.value <= 0x5A) || (scalar.value >= 0x61 && scalar.value <= 0x7A)
            || scalar == "\u{B5}" || scalar == "\u{3BC}"
    }
}
