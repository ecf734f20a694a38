import SpindleModel
import Testing
@testable import SpindleCollector

@Suite struct RedactionCorpusTests {
    @Test func theCorpusHoldsAtLeastAHundredSecretsAndAHundredLookAlikes() {
        #expect(RedactionCorpus.secrets.count >= 100)
        #expect(RedactionCorpus.lookAlikes.count >= 100)
    }

    @Test(arguments: RedactionCorpus.secrets)
    func everySecret_isRedactedExactlyAsSpecified(_ entry: CorpusEntry) throws {
        let result = Redactor().redact(redactionBatch(attributes: [Attribute(entry.key, .string(entry.value))]))
        #expect(try onlySpan(result.batch).attributes == [Attribute(entry.key, .string(entry.expected))])
        #expect(result.counts.total >= 1)
    }

    @Test(arguments: RedactionCorpus.lookAlikes)
    func noLookAlike_isTouched(_ entry: CorpusEntry) throws {
        let batch = redactionBatch(attributes: [Attribute(entry.key, .string(entry.value))])
        let result = Redactor().redact(batch)
        #expect(try onlySpan(result.batch).attributes == [Attribute(entry.key, .string(entry.value))])
        #expect(result.counts.isEmpty)
        #expect(sameTables(result.batch, batch))
    }

    /// Value rules do not depend on the key: in a span name or a status message each
    /// secret found by value is redacted the same way.
    @Test(arguments: RedactionCorpus.secretValues)
    func everySecretFoundByValue_isRedactedInSpanNamesAndStatusMessages(_ entry: CorpusEntry) throws {
        let batch = redactionBatch(name: entry.value, status: SpanStatus(code: .error, message: entry.value))
        let span = try onlySpan(Redactor().redact(batch).batch)
        #expect(span.name == entry.expected)
        #expect(span.status == SpanStatus(code: .error, message: entry.expected))
    }

    @Test(arguments: RedactionCorpus.lookAlikes)
    func noLookAlike_isTouchedInSpanNamesOrStatusMessages(_ entry: CorpusEntry) {
        let batch = redactionBatch(name: entry.value, status: SpanStatus(code: .error, message: entry.value))
        let result = Redactor().redact(batch)
        #expect(result.counts.isEmpty)
        #expect(sameTables(result.batch, batch))
    }

    @Test func theWholeCorpusInOneSpan_isRedactedAttributeByAttribute() throws {
        let entries = RedactionCorpus.secrets + RedactionCorpus.lookAlikes
        let batch = redactionBatch(attributes: entries.map { Attribute($0.key, .string($0.value)) })
        let result = Redactor().redact(batch)
        #expect(try onlySpan(result.batch).attributes == entries.map { Attribute($0.key, .string($0.expected)) })
        #expect(result.counts[.secretKey, .spanAttribute] == RedactionCorpus.secretKeys.count)
        try result.batch.tables.validate()
    }

    @Test func redactingTwice_changesNothingMore() throws {
        let entries = RedactionCorpus.secrets
        let batch = redactionBatch(
            name: RedactionCorpus.secretValues[0].value,
            attributes: entries.map { Attribute($0.key, .string($0.value)) } + [Attribute("authorization", "REDACTED"), Attribute("token", "[HASH:390a5d965e6cbea0]")]
        )
        let once = Redactor().redact(batch).batch
        let twice = Redactor().redact(once)
        #expect(twice.counts.isEmpty)
        #expect(sameTables(twice.batch, once))
    }

    @Test func aSecretThatOnlyStartsLikeAMask_isStillRedacted() throws {
        let batch = redactionBatch(attributes: [Attribute("password", "[REDACTED] hunter2"), Attribute("m", "https://u:[hash:x]pw@h/")])
        #expect(try onlySpan(Redactor().redact(batch).batch).attributes == [
            Attribute("password", "[REDACTED]"), Attribute("m", "https://u:[REDACTED]@h/"),
        ])
    }
}
