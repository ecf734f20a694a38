/// What a redaction rule does with what it finds.
public enum RedactionAction: String, Sendable, Hashable, CaseIterable {
    /// Replace the secret with a fixed marker: `[REDACTED]`, or `[REDACTED:<rule>]` where
    /// the marker stands alone inside a longer string (an email address, a card number, a
    /// JWT, a custom pattern's match). The default.
    case mask
    /// Replace the secret with `[HASH:<16 hex digits>]`: the first 8 bytes of the
    /// HMAC-SHA256 of the secret under ``RedactionConfiguration/hashKey``, so equal
    /// secrets still group and can be searched for by whoever holds the key.
    case hash
    /// Remove the whole attribute the secret was found in (the top-level attribute, when
    /// it was found in a nested value). A span name, event name or status message cannot
    /// be removed: there `drop` means `mask`.
    case drop
}

/// A value pattern added to the default rules: every match of `pattern` in a string
/// value, span name, event name or status message is redacted.
public struct RedactionPattern: Sendable, Hashable {
    /// The rule's name: lowercase letters, digits and `_`, unique among the rules. It is
    /// the `rule` dimension of `spindle_redactions_total` and names the mask,
    /// `[REDACTED:<name>]`.
    public var name: String
    /// A Swift `Regex` in its string syntax, compiled once when the ``Redactor`` is built.
    public var pattern: String

    /// A pattern named `name`; both are checked when the ``Redactor`` is built.
    public init(name: String, pattern: String) {
        self.name = name
        self.pattern = pattern
    }
}

/// How the collector redacts secrets before anything is stored; see `docs/redaction.md`.
///
/// The default configuration redacts with every built-in rule (``RedactionRule``) and
/// masks what it finds. Turning redaction off takes an explicit `isEnabled = false`, or
/// `usesDefaultRules = false` to keep only the rules added here.
public struct RedactionConfiguration: Sendable, Hashable {
    /// False turns redaction off entirely: batches pass through untouched.
    public var isEnabled: Bool
    /// False turns the built-in rules off, keeping only ``extraSecretKeys`` (under the
    /// `secret_key` rule) and ``extraPatterns``.
    public var usesDefaultRules: Bool
    /// The action of every rule not named in ``actions``.
    public var defaultAction: RedactionAction
    /// Per-rule actions, by rule name (a ``RedactionRule`` raw value or an extra
    /// pattern's name).
    public var actions: [String: RedactionAction]
    /// Built-in rules turned off one by one, by name.
    public var disabledRules: Set<String>
    /// More key names that name secrets, matched like the built-in ones: split into words
    /// at `.`, `-`, `_`, spaces and camelCase, compared without case against the last
    /// words of each attribute key (`x-internal-auth` matches `http.request.header.X-Internal-Auth`).
    public var extraSecretKeys: [String]
    /// More value patterns, each its own rule.
    public var extraPatterns: [RedactionPattern]
    /// Attribute keys never redacted, compared whole and without case (at any depth of a
    /// key-value list): what they hold is stored as it came.
    public var allowedKeys: [String]
    /// The key of the `hash` action's HMAC (at least 16 bytes). Required when any rule
    /// hashes. Never logged.
    public var hashKey: [UInt8]?

    /// Every field defaults to the default behaviour: on, built-in rules, masking.
    public init(
        isEnabled: Bool = true,
        usesDefaultRules: Bool = true,
        defaultAction: RedactionAction = .mask,
        actions: [String: RedactionAction] = [:],
        disabledRules: Set<String> = [],
        extraSecretKeys: [String] = [],
        extraPatterns: [RedactionPattern] = [],
        allowedKeys: [String] = [],
        hashKey: [UInt8]? = nil
    ) {
        self.isEnabled = isEnabled
        self.usesDefaultRules = usesDefaultRules
        self.defaultAction = defaultAction
        self.actions = actions
        self.disabledRules = disabledRules
        self.extraSecretKeys = extraSecretKeys
        self.extraPatterns = extraPatterns
        self.allowedKeys = allowedKeys
        self.hashKey = hashKey
    }

    /// Redaction turned off: nothing is touched.
    public static var disabled: RedactionConfiguration { RedactionConfiguration(isEnabled: false) }

    /// The shortest ``hashKey`` accepted, in bytes.
    public static let minimumHashKeyBytes = 16
}

extension RedactionConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// A summary that never shows the hash key.
    public var description: String {
        guard isEnabled else { return "redaction off" }
        var parts = [usesDefaultRules ? "default rules" : "no default rules", "action \(defaultAction.rawValue)"]
        if !disabledRules.isEmpty { parts.append("disabled: \(disabledRules.sorted().joined(separator: ", "))") }
        if !extraSecretKeys.isEmpty { parts.append("\(extraSecretKeys.count) extra keys") }
        if !extraPatterns.isEmpty { parts.append("\(extraPatterns.count) extra patterns") }
        if !allowedKeys.isEmpty { parts.append("\(allowedKeys.count) allowed keys") }
        if hashKey != nil { parts.append("hash key set") }
        return "redaction on (" + parts.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { description }

    /// Reflection (`dump`, interpolation into an enclosing value) shows the summary, never
    /// the hash key.
    public var customMirror: Mirror { Mirror(self, children: ["summary": description]) }
}
