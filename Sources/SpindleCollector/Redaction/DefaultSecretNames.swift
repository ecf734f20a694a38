/// The names the built-in rules treat as naming a secret, as matched by
/// ``SecretNameMatcher`` (a key names a secret when, folded, it ends with one of them).
/// `docs/redaction.md` shows what they match and what they leave alone.
enum DefaultSecretNames {
    /// Attribute keys (the `secret_key` rule) and parameter names (`secret_parameter`).
    /// Through the end match these also cover `proxy-authorization`, `set-cookie`,
    /// `client-secret`, `access-token`, `refresh-token`, `id-token`, `auth-token`,
    /// `x-api-key`, `db.connection.password`, `JSESSIONID` and `aws_secret_access_key`.
    static let secrets = [
        "authorization", "cookie", "password", "passwd", "pwd", "passphrase", "secret", "token",
        "api-key", "private-key", "secret-key", "secret-access-key", "credential", "credentials", "session-id",
    ]

    /// Names that end with a secret name but name none: pagination and cancellation tokens.
    static let nonSecrets = [
        "page-token", "next-token", "continuation-token", "sync-token", "resume-token", "cancellation-token",
    ]

    /// Parameter names that are secrets in URLs only: the signatures and key ids of signed
    /// URLs, as OpenTelemetry's `url.query` convention lists them (`sig`, `Signature`,
    /// `X-Goog-Signature`, `X-Amz-Signature`, `AWSAccessKeyId`).
    static let parameterOnlySecrets = ["sig", "signature", "aws-access-key-id"]
}
