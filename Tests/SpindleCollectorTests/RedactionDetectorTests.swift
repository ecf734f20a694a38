import Testing
@testable import SpindleCollector

@Suite struct RedactionDetectorTests {
    private func summary(_ string: String) -> StringSummary {
        Array(string.utf8).withUnsafeBytes { StringSummary($0) }
    }

    @Test func theSummary_findsEachStartAndCountsDigits_inWordsAndInTheTail() {
        let text = "GET 0123456789 https://u:p@h/?a=1 eyJ x"
        let result = summary(text)
        #expect(result.digits == 11)
        #expect(result.firstSchemeSeparator == 20)
        #expect(result.firstAt == 26)
        #expect(result.firstEquals == 31)
        #expect(result.firstEY == 34)
        #expect(!result.hasSchemeWordEnd)
        #expect(summary("Bearer x").hasSchemeWordEnd)
        #expect(summary("x Basic y").hasSchemeWordEnd)
        let short = summary("a@b=c")
        #expect(short.firstAt == 1 && short.firstEquals == 3 && short.digits == 0)
        // Digits with their high bit set are not digits.
        #expect(summary("\u{00B0}\u{00B9}\u{00B2}12345678").digits == 8)
        #expect(summary("").digits == 0)
    }

    @Test func secretNames_matchTheEndOfTheFoldedKey_andTheLongestNameDecides() {
        let matcher = SecretNameMatcher(secrets: ["token", "api-key"], nonSecrets: ["page-token"])
        func names(_ key: String) -> Bool { Array(key.utf8).withUnsafeBytes { matcher.namesSecret($0) } }
        #expect(names("token") && names("x.Auth_Token") && names("X-API-KEY") && names("myApiKey") && names("token."))
        #expect(!names("token_count") && !names("tokens") && !names("next_page_token") && !names("pageToken"))
        #expect(!names("key") && !names("") && !names("...") && !names("tökenapikey\u{00E9}"))
        #expect(names("page_token_api_key"))
    }
}
