import Crypto
import SpindleModel

/// A ``RedactionConfiguration`` compiled and checked: which rules run, their actions and
/// markers, the key matchers and the compiled patterns. Built once per ``Redactor``;
/// immutable, so any number of tasks use it at once.
struct RedactionRules: Sendable {
    /// Every rule's name, by index: the built-in rules in ``RedactionRule`` order, then
    /// the extra patterns.
    let names: [String]
    /// By rule index.
    let actions: [RedactionAction]
    /// By rule index: the bytes a `mask` writes.
    private let masks: [[UInt8]]
    /// By built-in rule index.
    private let isOn: [Bool]
    // The same, for the hot path: one load each.
    private let urlPasswordIsOn: Bool
    private let bearerIsOn: Bool
    private let basicIsOn: Bool
    private let jwtIsOn: Bool
    private let emailIsOn: Bool
    private let cardNumberIsOn: Bool
    private let keyMatcher: SecretNameMatcher?
    private let parameterMatcher: SecretNameMatcher?
    private let patterns: [CompiledPattern]
    /// Lowercased.
    private let allowedKeys: [[UInt8]]
    private let hashKey: SymmetricKey?

    /// An extra pattern, compiled.
    ///
    /// `Regex<AnyRegexOutput>` is not `Sendable` only because its type-erased output may
    /// hold anything; the regex itself is immutable (a `Regex` whose output is `Sendable`
    /// is `Sendable`), and its matches are made and consumed inside one call of
    /// ``RedactionRules/matches(in:)``, never shared. So sharing the pattern is safe.
    final class CompiledPattern: @unchecked Sendable {
        let rule: Int
        let regex: Regex<AnyRegexOutput>

        init(rule: Int, regex: Regex<AnyRegexOutput>) {
            self.rule = rule
            self.regex = regex
        }
    }

    /// The default rules, masking.
    init() {
        // The default configuration is valid by construction.
        self.init(checked: RedactionConfiguration(), patterns: [])
    }

    /// Checks `configuration` and compiles it.
    init(_ configuration: RedactionConfiguration) throws(RedactionConfigurationError) {
        let builtInNames = Set(RedactionRule.allCases.map(\.rawValue))
        var patternNames = Set<String>()
        var compiled: [CompiledPattern] = []
        for (offset, pattern) in configuration.extraPatterns.enumerated() {
            let name = pattern.name
            guard !name.isEmpty, name.utf8.allSatisfy({ $0.isASCIIDigit || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: "_") }) else {
                throw RedactionConfigurationError(.invalidRuleName, "pattern name \"\(name)\" must be lowercase letters, digits and _ (it becomes a metric label and a mask)")
            }
            guard !builtInNames.contains(name), patternNames.insert(name).inserted else {
                throw RedactionConfigurationError(.invalidRuleName, "pattern name \"\(name)\" is already taken by another rule; give each pattern its own name")
            }
            let regex: Regex<AnyRegexOutput>
            do {
                regex = try Regex(pattern.pattern)
            } catch {
                throw RedactionConfigurationError(.invalidPattern, "pattern \"\(name)\" (\(pattern.pattern)) is not a valid regular expression: \(error)")
            }
            if (try? regex.firstMatch(in: "")) != nil {
                throw RedactionConfigurationError(.invalidPattern, "pattern \"\(name)\" (\(pattern.pattern)) matches the empty string; it must match at least one character")
            }
            compiled.append(CompiledPattern(rule: RedactionRule.allCases.count + offset, regex: regex))
        }
        let known = builtInNames.union(patternNames)
        for name in configuration.actions.keys.sorted() where !known.contains(name) {
            throw RedactionConfigurationError(.invalidRuleName, "an action is given for \"\(name)\", which is no rule; rules are \(known.sorted().joined(separator: ", "))")
        }
        for name in configuration.disabledRules.sorted() where !builtInNames.contains(name) {
            throw RedactionConfigurationError(.invalidRuleName, "\"\(name)\" is not a built-in rule and cannot be disabled; built-in rules are \(RedactionRule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for key in configuration.extraSecretKeys {
            let folded = SecretNameMatcher.fold(key)
            guard folded.count >= 2, folded.count <= 64 else {
                throw RedactionConfigurationError(.invalidSecretKey, "extra secret key \"\(key)\" must have 2 to 64 ASCII letters or digits")
            }
        }
        self.init(checked: configuration, patterns: compiled)
        if let rule = names.indices.first(where: { actions[$0] == .hash && isRuleOn($0) }) {
            guard let key = configuration.hashKey else {
                throw RedactionConfigurationError(.invalidHashKey, "rule \"\(names[rule])\" hashes, but no hash key is configured; give one (spindle serve --redaction-hash-key-file PATH)")
            }
            guard key.count >= RedactionConfiguration.minimumHashKeyBytes else {
                throw RedactionConfigurationError(.invalidHashKey, "the hash key is \(key.count) bytes; it must be at least \(RedactionConfiguration.minimumHashKeyBytes)")
            }
        }
    }

    private init(checked configuration: RedactionConfiguration, patterns: [CompiledPattern]) {
        let builtIns = RedactionRule.allCases
        names = builtIns.map(\.rawValue) + configuration.extraPatterns.map(\.name)
        actions = names.map { configuration.actions[$0] ?? configuration.defaultAction }
        masks = builtIns.map { rule in Array((rule.maskLabel.map { "[REDACTED:\($0)]" } ?? "[REDACTED]").utf8) }
            + configuration.extraPatterns.map { Array("[REDACTED:\($0.name)]".utf8) }
        let defaults = configuration.usesDefaultRules
        let extraKeys = configuration.extraSecretKeys
        let isOn = builtIns.map { rule in
            guard !configuration.disabledRules.contains(rule.rawValue) else { return false }
            return defaults || (rule == .secretKey && !extraKeys.isEmpty)
        }
        self.isOn = isOn
        urlPasswordIsOn = isOn[RedactionRule.urlPassword.index]
        bearerIsOn = isOn[RedactionRule.bearerToken.index]
        basicIsOn = isOn[RedactionRule.basicAuth.index]
        jwtIsOn = isOn[RedactionRule.jwt.index]
        emailIsOn = isOn[RedactionRule.email.index]
        cardNumberIsOn = isOn[RedactionRule.cardNumber.index]
        keyMatcher = isOn[RedactionRule.secretKey.index]
            ? SecretNameMatcher(secrets: (defaults ? DefaultSecretNames.secrets : []) + extraKeys, nonSecrets: defaults ? DefaultSecretNames.nonSecrets : [])
            : nil
        parameterMatcher = isOn[RedactionRule.secretParameter.index]
            ? SecretNameMatcher(secrets: DefaultSecretNames.secrets + DefaultSecretNames.parameterOnlySecrets + extraKeys, nonSecrets: DefaultSecretNames.nonSecrets)
            : nil
        self.patterns = patterns
        allowedKeys = configuration.allowedKeys.map { Array($0.utf8).map(\.asciiLowercased) }
        hashKey = configuration.hashKey.map { SymmetricKey(data: $0) }
    }

    private func isRuleOn(_ rule: Int) -> Bool {
        rule < isOn.count ? isOn[rule] : true
    }

    // MARK: Keys

    /// True when the key is on the allow-list: what it holds is never touched.
    func isAllowed(_ key: UnsafeRawBufferPointer) -> Bool {
        guard !allowedKeys.isEmpty else { return false }
        return allowedKeys.contains { allowed in
            allowed.count == key.count && zip(allowed, key).allSatisfy { $0 == $1.asciiLowercased }
        }
    }

    /// True when the key names a secret (the `secret_key` rule).
    func keyNamesSecret(_ key: UnsafeRawBufferPointer) -> Bool {
        keyMatcher?.namesSecret(key) ?? false
    }

    // MARK: Values

    /// The parts of the string the value rules redact, disjoint, in priority order: URL
    /// passwords, secret parameters, Bearer and Basic credentials, JWTs, email addresses,
    /// card numbers, then the extra patterns.
    func matches(in bytes: UnsafeRawBufferPointer) -> ValueMatches {
        matches(in: bytes, StringSummary(bytes))
    }

    /// True when a value rule redacts part of the string. Most strings are decided by
    /// their summary alone, without looking for matches.
    func hasMatch(in bytes: UnsafeRawBufferPointer) -> Bool {
        let summary = StringSummary(bytes)
        let couldMatch = !patterns.isEmpty || summary.firstEquals != nil && parameterMatcher != nil
            || summary.firstAt != nil && (emailIsOn || urlPasswordIsOn && summary.firstSchemeSeparator != nil)
            || summary.hasSchemeWordEnd && (bearerIsOn || basicIsOn)
            || summary.firstEY != nil && jwtIsOn || summary.digits >= 13 && cardNumberIsOn
        return couldMatch && !matches(in: bytes, summary).isEmpty
    }

    private func matches(in bytes: UnsafeRawBufferPointer, _ summary: StringSummary) -> ValueMatches {
        var matches = ValueMatches()
        if urlPasswordIsOn, let start = summary.firstSchemeSeparator, summary.firstAt != nil {
            URLCredentialDetector.scan(bytes, from: start) { matches.add($0, rule: RedactionRule.urlPassword.index) }
        }
        if let parameterMatcher, let start = summary.firstEquals {
            SecretParameterDetector.scan(bytes, from: start, namesSecret: parameterMatcher.namesSecret) { matches.add($0, rule: RedactionRule.secretParameter.index) }
        }
        if summary.hasSchemeWordEnd, bearerIsOn || basicIsOn {
            AuthorizationSchemeDetector.scan(bytes) { scheme, range in
                switch scheme {
                case .bearer: if bearerIsOn { matches.add(range, rule: RedactionRule.bearerToken.index) }
                case .basic: if basicIsOn { matches.add(range, rule: RedactionRule.basicAuth.index) }
                }
            }
        }
        if jwtIsOn, let start = summary.firstEY {
            JWTDetector.scan(bytes, from: start) { matches.add($0, rule: RedactionRule.jwt.index) }
        }
        if emailIsOn, let start = summary.firstAt {
            EmailDetector.scan(bytes, from: start) { matches.add($0, rule: RedactionRule.email.index) }
        }
        if cardNumberIsOn, summary.digits >= 13 {
            CardNumberDetector.scan(bytes) { matches.add($0, rule: RedactionRule.cardNumber.index) }
        }
        if !patterns.isEmpty {
            addPatternMatches(in: bytes, to: &matches)
        }
        return matches
    }

    /// The extra patterns run on a `String`: the one cost of this module that grows with
    /// every string, paid only by those who add patterns.
    private func addPatternMatches(in bytes: UnsafeRawBufferPointer, to matches: inout ValueMatches) {
        let string = String(decoding: bytes, as: UTF8.self)
        let utf8 = string.utf8
        // Offsets map back to the arena only if decoding repaired nothing.
        guard utf8.count == bytes.count else { return }
        for pattern in patterns {
            for match in string.matches(of: pattern.regex) where !match.range.isEmpty {
                let start = utf8.distance(from: utf8.startIndex, to: match.range.lowerBound)
                let end = utf8.distance(from: utf8.startIndex, to: match.range.upperBound)
                matches.add(start..<end, rule: pattern.rule)
            }
        }
    }

    // MARK: Replacements

    /// The first of the matches' rules that drops what it finds, if any.
    func drops(_ matches: ValueMatches) -> Int? {
        matches.matches.first { actions[$0.rule] == .drop }?.rule
    }

    /// The string with each match replaced by its rule's mask or hash.
    func rewrite(_ bytes: UnsafeRawBufferPointer, _ matches: ValueMatches, into output: inout [UInt8]) {
        var cursor = 0
        for match in matches.sorted {
            output.append(contentsOf: bytes[cursor..<match.range.lowerBound])
            appendMarker(rule: match.rule, secret: UnsafeRawBufferPointer(rebasing: bytes[match.range]), to: &output)
            cursor = match.range.upperBound
        }
        output.append(contentsOf: bytes[cursor...])
    }

    /// Appends what replaces `secret` under `rule`: its mask, or its hash when the rule
    /// hashes (`drop` writes the mask: a caller that can drop has dropped already).
    func appendMarker(rule: Int, secret: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        guard actions[rule] == .hash, let hashKey else {
            output.append(contentsOf: masks[rule])
            return
        }
        let code = HMAC<SHA256>.authenticationCode(for: secret, using: hashKey)
        output.append(contentsOf: "[HASH:".utf8)
        code.withUnsafeBytes { digest in
            for byte in digest.prefix(8) {
                output.append(Self.hexDigits[Int(byte >> 4)])
                output.append(Self.hexDigits[Int(byte & 0x0F)])
            }
        }
        output.append(UInt8(ascii: "]"))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

extension RedactionRule {
    /// The rule's index in ``RedactionRules/names``.
    var index: Int {
        switch self {
        case .secretKey: 0
        case .bearerToken: 1
        case .basicAuth: 2
        case .jwt: 3
        case .cardNumber: 4
        case .email: 5
        case .urlPassword: 6
        case .secretParameter: 7
        }
    }
}
