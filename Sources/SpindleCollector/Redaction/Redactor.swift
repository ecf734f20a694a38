public import SpindleModel

/// Redacts secrets from span batches before they are stored; see `docs/redaction.md`.
///
/// - **What it covers.** Span, resource, scope, event and link attributes (nested array
///   and key-value-list values included), span names, event names and status messages.
///   Keys are never changed; only string values (and byte values under a secret key)
///   are.
/// - **Contract.** ``redact(_:)`` is a pure function of the batch and the configuration:
///   the same batch always comes back the same way, and a batch with nothing to redact
///   comes back as it is (the same storage, no copy).
/// - **Cost.** One read-only pass over the batch's strings, which for ordinary spans
///   stops at cheap per-string checks; the batch is copied only when something must be
///   redacted.
/// - **Concurrency.** Built once; immutable and `Sendable`, so every receiver task
///   shares one.
public struct Redactor: Sendable {
    /// The configuration it was built from.
    public let configuration: RedactionConfiguration
    /// nil when redaction is off.
    let rules: RedactionRules?

    /// The built-in rules, masking: what `spindle serve` does unless told otherwise.
    public init() {
        configuration = RedactionConfiguration()
        rules = RedactionRules()
    }

    /// A redactor for `configuration`.
    ///
    /// - Throws: ``RedactionConfigurationError`` naming the pattern, rule, key or hash key
    ///   at fault, when the configuration cannot work.
    public init(configuration: RedactionConfiguration) throws(RedactionConfigurationError) {
        self.configuration = configuration
        rules = configuration.isEnabled ? try RedactionRules(configuration) : nil
    }

    /// A redactor that redacts nothing.
    public static var disabled: Redactor {
        Redactor(disabledWith: .disabled)
    }

    private init(disabledWith configuration: RedactionConfiguration) {
        self.configuration = configuration
        rules = nil
    }

    /// Every rule's name (the `rule` dimension of `spindle_redactions_total`): the
    /// built-in rules, then the extra patterns; empty when redaction is off.
    public var ruleNames: [String] { rules?.names ?? [] }

    /// The batch with every secret redacted, and how many redactions it took.
    public func redact(_ batch: SpanBatch) -> RedactionResult {
        guard let rules else { return RedactionResult(batch: batch, counts: RedactionCounts(ruleNames: [])) }
        let tables = batch.tables
        guard BatchScan.needsRedaction(tables, rules: rules) else {
            return RedactionResult(batch: batch, counts: RedactionCounts(ruleNames: rules.names))
        }
        let (redacted, counts) = BatchRewrite.rewrite(tables, rules: rules)
        return RedactionResult(batch: SpanBatch(tables: redacted), counts: counts)
    }
}

/// A batch after redaction, and what was redacted.
public struct RedactionResult: Sendable {
    /// The redacted batch; the batch given, unchanged, when there was nothing to redact.
    public var batch: SpanBatch
    /// What was redacted, by rule and place.
    public var counts: RedactionCounts
}
