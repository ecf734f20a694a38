import SpindleModel
import Testing
@testable import SpindleCollector

@Suite struct RedactionActionTests {
    @Test func hash_writesTheKeyedHMAC_soEqualValuesGroup() throws {
        let hashing = redactor(RedactionConfiguration(defaultAction: .hash, hashKey: testHashKey))
        let batch = redactionBatch(attributes: [
            Attribute("db.password", "hunter2"), Attribute("user_password", "hunter2"), Attribute("pwd", "other"),
        ])
        let attributes = try onlySpan(hashing.redact(batch).batch).attributes
        // HMAC-SHA256("spindle-redaction-test-key-0001!", "hunter2"), first 8 bytes.
        #expect(attributes[0] == Attribute("db.password", "[HASH:390a5d965e6cbea0]"))
        #expect(attributes[1] == Attribute("user_password", "[HASH:390a5d965e6cbea0]"))
        #expect(attributes[2].value != attributes[0].value)
    }

    @Test func hash_replacesOnlyTheMatchedPart() throws {
        let hashing = redactor(RedactionConfiguration(actions: ["email": .hash, "bearer_token": .hash], hashKey: testHashKey))
        let batch = redactionBatch(
            name: "Authorization failed for bob@example.com",
            attributes: [Attribute("message", "Bearer abcdef0123456789abcdef"), Attribute("password", "hunter2")]
        )
        let span = try onlySpan(hashing.redact(batch).batch)
        #expect(span.name == "Authorization failed for [HASH:72197a0a3dbea6fe]")
        #expect(span.attributes == [Attribute("message", "Bearer [HASH:62bf98f4d3ac04a9]"), Attribute("password", "[REDACTED]")])
    }

    @Test func hash_underAnotherKey_givesAnotherHash() throws {
        let key = Array("another-key-for-the-redaction-02".utf8)
        let hashing = redactor(RedactionConfiguration(defaultAction: .hash, hashKey: key))
        let span = try onlySpan(hashing.redact(redactionBatch(attributes: [Attribute("password", "hunter2")])).batch)
        #expect(span.attributes == [Attribute("password", "[HASH:5ed7cac84694feeb]")])
    }

    @Test func drop_removesTheAttribute_andCountsIt() throws {
        let dropping = redactor(RedactionConfiguration(actions: ["secret_key": .drop, "email": .drop]))
        let batch = redactionBatch(attributes: [
            Attribute("http.method", "POST"), Attribute("password", "hunter2"),
            Attribute("message", "reset sent to bob@example.com and eve@example.com"), Attribute("http.status_code", .int(200)),
            Attribute("url.full", "https://app:pw@db/x"),
        ])
        let result = dropping.redact(batch)
        #expect(try onlySpan(result.batch).attributes == [
            Attribute("http.method", "POST"), Attribute("http.status_code", .int(200)), Attribute("url.full", "https://app:[REDACTED]@db/x"),
        ])
        #expect(result.counts[.secretKey, .spanAttribute] == 1)
        #expect(result.counts[.email, .spanAttribute] == 1)
        #expect(result.counts[.urlPassword, .spanAttribute] == 1)
        #expect(result.counts.total == 3)
        try result.batch.tables.validate()
    }

    @Test func drop_inANestedValue_removesTheWholeTopLevelAttribute() throws {
        let dropping = redactor(RedactionConfiguration(defaultAction: .drop))
        let batch = redactionBatch(attributes: [
            Attribute("request", .keyValueList([Attribute("headers", .keyValueList([Attribute("cookie", "sid=1")])), Attribute("path", "/")])),
            Attribute("tags", .array(["a", "b"])),
        ])
        let result = dropping.redact(batch)
        #expect(try onlySpan(result.batch).attributes == [Attribute("tags", .array(["a", "b"]))])
        #expect(result.counts[.secretKey, .spanAttribute] == 1)
        // Nothing of the dropped value is left in the tables.
        #expect(result.batch.tables.nestedAttributes.isEmpty)
        #expect(result.batch.tables.nestedValues.count == 2)
        try result.batch.tables.validate()
    }

    @Test func drop_ofASpanNameOrStatusMessage_masks() throws {
        let dropping = redactor(RedactionConfiguration(defaultAction: .drop))
        let batch = redactionBatch(name: "mail bob@example.com", status: SpanStatus(code: .error, message: "bad card 4111111111111111"))
        let span = try onlySpan(dropping.redact(batch).batch)
        #expect(span.name == "mail [REDACTED:email]")
        #expect(span.status == SpanStatus(code: .error, message: "bad card [REDACTED:card]"))
    }
}

@Suite struct RedactionConfigurationTests {
    @Test func allowedKeys_areNeverTouched_atAnyDepth_inAnyCase() throws {
        let allowing = redactor(RedactionConfiguration(allowedKeys: ["session.id", "User.Email"]))
        let batch = redactionBatch(attributes: [
            Attribute("session.id", "00112233-4455"),
            Attribute("user.email", "bob@example.com"),
            Attribute("profile", .keyValueList([Attribute("USER.EMAIL", "eve@example.com"), Attribute("email", "eve@example.com")])),
            Attribute("password", "hunter2"),
        ])
        #expect(try onlySpan(allowing.redact(batch).batch).attributes == [
            Attribute("session.id", "00112233-4455"),
            Attribute("user.email", "bob@example.com"),
            Attribute("profile", .keyValueList([Attribute("USER.EMAIL", "eve@example.com"), Attribute("email", "[REDACTED:email]")])),
            Attribute("password", "[REDACTED]"),
        ])
    }

    @Test func extraSecretKeys_matchLikeTheBuiltInOnes() throws {
        let custom = redactor(RedactionConfiguration(extraSecretKeys: ["x-internal-auth", "ssn"]))
        let batch = redactionBatch(attributes: [
            Attribute("http.request.header.X-Internal-Auth", "abc"), Attribute("user.ssn", "123-45-6789"),
            Attribute("ssn_last4", "6789"), Attribute("url.query", "ssn=123456789&x=1"),
        ])
        let result = custom.redact(batch)
        #expect(try onlySpan(result.batch).attributes == [
            Attribute("http.request.header.X-Internal-Auth", "[REDACTED]"), Attribute("user.ssn", "[REDACTED]"),
            Attribute("ssn_last4", "6789"), Attribute("url.query", "ssn=[REDACTED]&x=1"),
        ])
        #expect(result.counts[.secretKey, .spanAttribute] == 2)
        #expect(result.counts[.secretParameter, .spanAttribute] == 1)
    }

    @Test func extraPatterns_areRulesOfTheirOwn() throws {
        let custom = redactor(RedactionConfiguration(extraPatterns: [
            RedactionPattern(name: "us_ssn", pattern: #"\b\d{3}-\d{2}-\d{4}\b"#),
            RedactionPattern(name: "internal_host", pattern: #"[a-z0-9-]+\.corp\.example"#),
        ]))
        let batch = redactionBatch(name: "lookup db7.corp.example", attributes: [Attribute("note", "SSN 123-45-6789 or 987-65-4321 on file")])
        let result = custom.redact(batch)
        let span = try onlySpan(result.batch)
        #expect(span.name == "lookup [REDACTED:internal_host]")
        #expect(span.attributes == [Attribute("note", "SSN [REDACTED:us_ssn] or [REDACTED:us_ssn] on file")])
        #expect(result.counts["us_ssn", .spanAttribute] == 2)
        #expect(result.counts["internal_host", .spanName] == 1)
        #expect(custom.ruleNames == RedactionRule.allCases.map(\.rawValue) + ["us_ssn", "internal_host"])
    }

    @Test func aPatternThatDoesNotCompile_isRefused_namingIt() {
        #expect {
            try Redactor(configuration: RedactionConfiguration(extraPatterns: [RedactionPattern(name: "broken", pattern: "([a-z")]))
        } throws: { error in
            guard let error = error as? RedactionConfigurationError else { return false }
            return error.code == .invalidPattern && error.message.hasPrefix("pattern \"broken\" (([a-z) is not a valid regular expression: ")
        }
    }

    @Test func aPatternThatMatchesNothing_isRefused() {
        #expect(throws: RedactionConfigurationError(.invalidPattern, "pattern \"stars\" (a*) matches the empty string; it must match at least one character")) {
            try Redactor(configuration: RedactionConfiguration(extraPatterns: [RedactionPattern(name: "stars", pattern: "a*")]))
        }
    }

    @Test func badRuleNames_areRefused() {
        #expect(throws: RedactionConfigurationError(.invalidRuleName, "pattern name \"Bad Name\" must be lowercase letters, digits and _ (it becomes a metric label and a mask)")) {
            try Redactor(configuration: RedactionConfiguration(extraPatterns: [RedactionPattern(name: "Bad Name", pattern: "x")]))
        }
        #expect(throws: RedactionConfigurationError(.invalidRuleName, "pattern name \"email\" is already taken by another rule; give each pattern its own name")) {
            try Redactor(configuration: RedactionConfiguration(extraPatterns: [RedactionPattern(name: "email", pattern: "x")]))
        }
        #expect(throws: RedactionConfigurationError(.invalidRuleName, "an action is given for \"emails\", which is no rule; rules are basic_auth, bearer_token, card_number, email, jwt, secret_key, secret_parameter, url_password")) {
            try Redactor(configuration: RedactionConfiguration(actions: ["emails": .drop]))
        }
        #expect(throws: RedactionConfigurationError(.invalidRuleName, "\"phone\" is not a built-in rule and cannot be disabled; built-in rules are secret_key, bearer_token, basic_auth, jwt, card_number, email, url_password, secret_parameter")) {
            try Redactor(configuration: RedactionConfiguration(disabledRules: ["phone"]))
        }
    }

    @Test func badExtraKeys_areRefused() {
        #expect(throws: RedactionConfigurationError(.invalidSecretKey, "extra secret key \"-\" must have 2 to 64 ASCII letters or digits")) {
            try Redactor(configuration: RedactionConfiguration(extraSecretKeys: ["-"]))
        }
    }

    @Test func hashing_needsAKeyOfAtLeast16Bytes() {
        #expect(throws: RedactionConfigurationError(.invalidHashKey, "rule \"email\" hashes, but no hash key is configured; give one (spindle serve --redaction-hash-key-file PATH)")) {
            try Redactor(configuration: RedactionConfiguration(actions: ["email": .hash]))
        }
        #expect(throws: RedactionConfigurationError(.invalidHashKey, "the hash key is 5 bytes; it must be at least 16")) {
            try Redactor(configuration: RedactionConfiguration(defaultAction: .hash, hashKey: Array("short".utf8)))
        }
    }

    @Test func theHashKey_isNeverShown() {
        let configuration = RedactionConfiguration(defaultAction: .hash, hashKey: testHashKey)
        let key = String(decoding: testHashKey, as: UTF8.self)
        #expect(configuration.description == "redaction on (default rules, action hash, hash key set)")
        #expect(!"\(configuration)".contains(key))
        #expect(!String(reflecting: configuration).contains("115"))
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!dumped.contains("115") && !dumped.contains(key))
    }

    @Test func disabled_touchesNothing() throws {
        let batch = redactionBatch(name: "bob@example.com", attributes: [Attribute("password", "hunter2")])
        for off in [Redactor.disabled, redactor(.disabled)] {
            let result = off.redact(batch)
            #expect(sameTables(result.batch, batch))
            #expect(result.counts.isEmpty)
            #expect(off.ruleNames.isEmpty)
        }
    }

    @Test func withoutTheDefaultRules_onlyTheAddedOnesRun() throws {
        let custom = redactor(RedactionConfiguration(usesDefaultRules: false, extraSecretKeys: ["ssn"]))
        let batch = redactionBatch(name: "bob@example.com", attributes: [Attribute("password", "hunter2"), Attribute("ssn", "123-45-6789")])
        let span = try onlySpan(custom.redact(batch).batch)
        #expect(span.name == "bob@example.com")
        #expect(span.attributes == [Attribute("password", "hunter2"), Attribute("ssn", "[REDACTED]")])
    }

    @Test func aDisabledRule_isSkipped_andTheOthersRun() throws {
        let custom = redactor(RedactionConfiguration(disabledRules: ["email", "secret_key"]))
        let batch = redactionBatch(attributes: [Attribute("password", "hunter2"), Attribute("m", "bob@example.com 4111111111111111")])
        #expect(try onlySpan(custom.redact(batch).batch).attributes == [Attribute("password", "hunter2"), Attribute("m", "bob@example.com [REDACTED:card]")])
    }
}
