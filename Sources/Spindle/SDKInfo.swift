public import SpindleModel

/// Facts about this SDK that it reports as the `telemetry.sdk.*` resource attributes
/// (OpenTelemetry semantic conventions, `telemetry.sdk.name/language/version`).
public enum SpindleSDK {
    public static let name = "spindle"
    public static let language = "swift"
    public static let version = "0.1.0"

    /// `telemetry.sdk.name`, `telemetry.sdk.language` and `telemetry.sdk.version`.
    public static var resourceAttributes: [Attribute] {
        [
            Attribute("telemetry.sdk.name", .string(name)),
            Attribute("telemetry.sdk.language", .string(language)),
            Attribute("telemetry.sdk.version", .string(version)),
        ]
    }
}
