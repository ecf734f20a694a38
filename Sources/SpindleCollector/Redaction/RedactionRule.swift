/// The built-in redaction rules, named as they appear in configuration, in the `rule`
/// dimension of `spindle_redactions_total` and in masks. `docs/redaction.md` lists what
/// each one matches.
public enum RedactionRule: String, Sendable, Hashable, CaseIterable {
    /// An attribute whose key names a secret (`authorization`, `db.password`, `x-api-key`,
    /// …): every string in its value is replaced whole.
    case secretKey = "secret_key"
    /// `Bearer <token>`: the token, not the scheme word.
    case bearerToken = "bearer_token"
    /// `Basic <base64 of user:password>`: the credential, not the scheme word.
    case basicAuth = "basic_auth"
    /// A JSON Web Token: three base64url segments whose first decodes to a JSON object
    /// with `"alg"`.
    case jwt
    /// A payment card number: 13–19 digits, optionally grouped by spaces or dashes, with a
    /// card scheme's prefix and length, Luhn-valid.
    case cardNumber = "card_number"
    /// An email address.
    case email
    /// The password of a URL's `user:password@`.
    case urlPassword = "url_password"
    /// The value of a `name=value` pair whose name names a secret: URL query parameters
    /// (`?access_token=`, `&sig=`) and connection-string settings (`Password=…;`).
    case secretParameter = "secret_parameter"

    /// The mask this rule writes where it replaces a part of a longer string.
    var maskLabel: String? {
        switch self {
        case .jwt: "jwt"
        case .cardNumber: "card"
        case .email: "email"
        case .secretKey, .bearerToken, .basicAuth, .urlPassword, .secretParameter: nil
        }
    }
}

/// Where in a span a redaction happened: the `place` dimension of
/// `spindle_redactions_total`.
public enum RedactionPlace: String, Sendable, Hashable, CaseIterable {
    case resourceAttribute = "resource_attribute"
    case scopeAttribute = "scope_attribute"
    case spanAttribute = "span_attribute"
    case eventAttribute = "event_attribute"
    case linkAttribute = "link_attribute"
    case spanName = "span_name"
    case eventName = "event_name"
    case statusMessage = "status_message"
}
