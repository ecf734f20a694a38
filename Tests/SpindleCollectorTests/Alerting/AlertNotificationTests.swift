import SpindleWire
import Testing
@testable import SpindleCollector

@Suite("Alerting: webhook bodies")
struct AlertNotificationTests {
    let start = Duration.seconds(1_700_000_000)

    func notification(name: String = "HighErrorRate", state: AlertState = .firing, endsAt: Duration? = nil, annotations: [String: String] = ["summary": "checkout fails"]) -> AlertNotification {
        AlertNotification(
            ruleName: name, state: state, value: 0.25, startsAt: start, endsAt: endsAt,
            labels: ["alertname": name, "service": "checkout", "severity": "page"],
            annotations: annotations,
            message: "error rate 0.25 > 0.1 over 1m0s for service checkout (10 errors in 40 requests)"
        )
    }

    @Test func jsonBody_isAlertmanagerWebhookShaped() throws {
        let body = notification().jsonBody()
        let expected = #"{"version":"4","groupKey":"{}:{alertname=\"HighErrorRate\"}","truncatedAlerts":0,"status":"firing","receiver":"spindle","#
            + #""groupLabels":{"alertname":"HighErrorRate"},"commonLabels":{"alertname":"HighErrorRate","service":"checkout","severity":"page"},"#
            + #""commonAnnotations":{"summary":"checkout fails"},"externalURL":"","alerts":[{"status":"firing","#
            + #""labels":{"alertname":"HighErrorRate","service":"checkout","severity":"page"},"annotations":{"summary":"checkout fails"},"#
            + #""startsAt":"2023-11-14T22:13:20Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"6e890fd1d2e6636f","#
            + #""value":0.25,"message":"error rate 0.25 > 0.1 over 1m0s for service checkout (10 errors in 40 requests)"}]}"#
        #expect(String(decoding: body, as: UTF8.self) == expected)
    }

    @Test func jsonBody_ofAResolvedAlertCarriesItsEnd() throws {
        let body = try JSONReader.parse(notification(state: .resolved, endsAt: start + .milliseconds(1_500)).jsonBody())
        #expect(body["status"]?.stringValue == "resolved")
        let alert = try #require(body["alerts"]?.arrayValue?.first)
        #expect(alert["status"]?.stringValue == "resolved")
        #expect(alert["startsAt"]?.stringValue == "2023-11-14T22:13:20Z")
        #expect(alert["endsAt"]?.stringValue == "2023-11-14T22:13:21.5Z")
    }

    static let hostileNames = [
        #"quote " backslash \ "#,
        "newline\ncarriage\rtab\tnul\u{0}",
        "</script><script>alert(1)</script>",
        "line separators \u{2028}\u{2029} and emoji 🔥 and é",
        "<!channel> <@U123> <https://evil.example|click> & more",
    ]

    @Test(arguments: hostileNames)
    func jsonBody_escapesHostileNamesSoTheyReadBackExactly(name: String) throws {
        let body = try JSONReader.parse(notification(name: name, annotations: ["summary": name]).jsonBody())
        let alert = try #require(body["alerts"]?.arrayValue?.first)
        #expect(alert["labels"]?["alertname"]?.stringValue == name)
        #expect(alert["annotations"]?["summary"]?.stringValue == name)
        #expect(body["groupLabels"]?["alertname"]?.stringValue == name)
    }

    @Test func slackBody_isOneTextField() throws {
        let body = notification(annotations: ["summary": "checkout fails", "description": "see the runbook"]).slackBody()
        #expect(String(decoding: body, as: UTF8.self) == #"{"text":"[FIRING] HighErrorRate: checkout fails\nsee the runbook\nstarted 2023-11-14T22:13:20Z"}"#)
        let resolved = try JSONReader.parse(notification(state: .resolved, endsAt: start + .seconds(30), annotations: [:]).slackBody())
        #expect(resolved["text"]?.stringValue == "[RESOLVED] HighErrorRate: error rate 0.25 &gt; 0.1 over 1m0s for service checkout (10 errors in 40 requests)\nstarted 2023-11-14T22:13:20Z, resolved 2023-11-14T22:13:50Z")
    }

    @Test(arguments: hostileNames)
    func slackBody_escapesWhatSlackWouldReadAsMarkup(name: String) throws {
        let body = try JSONReader.parse(notification(name: name, annotations: ["summary": name]).slackBody())
        let text = try #require(body["text"]?.stringValue)
        let escaped = name.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
        #expect(text == "[FIRING] \(escaped): \(escaped)\nstarted 2023-11-14T22:13:20Z")
        #expect(!text.contains("<"))
    }

    @Test(arguments: [
        (Duration.zero, "1970-01-01T00:00:00Z"),
        (.seconds(1_700_000_000), "2023-11-14T22:13:20Z"),
        (.seconds(951_782_400), "2000-02-29T00:00:00Z"),
        (.seconds(-1), "1969-12-31T23:59:59Z"),
        (.seconds(253_402_300_799), "9999-12-31T23:59:59Z"),
        (.seconds(1_700_000_000) + .nanoseconds(120_000_000), "2023-11-14T22:13:20.12Z"),
        (.seconds(1_700_000_000) + .nanoseconds(1), "2023-11-14T22:13:20.000000001Z"),
    ])
    func rfc3339_writesUTCTimes(time: Duration, text: String) {
        #expect(AlertTimestamp.rfc3339(time) == text)
    }

    @Test func fingerprint_isPrometheusLabelSetFingerprint() {
        #expect(AlertTimestamp.fingerprint([:]) == "cbf29ce484222325")
        #expect(AlertTimestamp.fingerprint(["alertname": "HighErrorRate", "service": "checkout", "severity": "page"]) == "6e890fd1d2e6636f")
    }
}
