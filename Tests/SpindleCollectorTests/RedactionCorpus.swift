import Testing

/// One string attribute and what the default rules must make of it.
struct CorpusEntry: Sendable, CustomTestStringConvertible {
    var key: String
    var value: String
    /// The stored value: the masked one for a secret, `value` itself for a look-alike.
    var expected: String

    var testDescription: String { "\(key)=\(value)" }
}

/// The redaction corpus: realistic secrets, each with the exact string it must become,
/// and harmless look-alikes that must come through untouched.
///
/// Provider tokens are assembled from parts (`"gh" + "p_"`) so that secret scanners do
/// not take this file for a leak; none of them is a live credential.
enum RedactionCorpus {
    private static func secret(_ key: String, _ value: String, _ expected: String = "[REDACTED]") -> CorpusEntry {
        CorpusEntry(key: key, value: value, expected: expected)
    }

    private static func harmless(_ key: String, _ value: String) -> CorpusEntry {
        CorpusEntry(key: key, value: value, expected: value)
    }

    // Provider-shaped tokens (fake).
    static let githubToken = "gh" + "p_" + "R3dact10nC0rpusF4keT0ken0000000abcd12"
    static let githubFineGrained = "github" + "_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU"
    static let slackBotToken = "xo" + "xb-" + "1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
    static let slackWebhook = "https://hooks.slack.com/services/T00000000/B00000000/" + "XXXXXXXXXXXXXXXXXXXXXXXX"
    static let stripeSecret = "sk" + "_live_" + "51H8fakeKeyForRedactionTests000000000000abcdEFGH"
    static let stripeRestricted = "rk" + "_live_" + "51H8fakeRestrictedKey0000000000000000000000"
    static let awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
    static let googleAPIKey = "AI" + "za" + "SyA1b2C3d4E5f6G7h8I9j0KLmnOPqrSTuvW"
    static let npmToken = "np" + "m_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    static let openAIKey = "sk" + "-proj-" + "Abc123Def456Ghi789Jkl012Mno345Pqr678"

    // JWTs: real structure (base64url JSON header with "alg"), fake signatures.
    static let jwtHS256 = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    static let jwtRS256 = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxLTIwMjQiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ1c2VyLTQyIiwiaXNzIjoiaHR0cHM6Ly9hdXRoLmV4YW1wbGUuY29tIiwiZXhwIjoxNzY3MjI1NjAwfQ.dGhpc19pc19ub3RfYV9yZWFsX3NpZ25hdHVyZV9ieXRlcw"
    static let jwtNone = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ."
    static let jwtES256 = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtcGF5bWVudHMiLCJhdWQiOiJvcmRlcnMifQ.MEUCIQDx7bq0Zk9yVt4nX2r1Lw3p8sA5cK6dF0gH1jI2kL3mNo"
    static let jwtHS512 = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzaWQiOiI4ZjJhIiwic2NvcGUiOiJyZWFkIHdyaXRlIn0.Zm9vYmFyYmF6cXV4cXV1eHh5enp5MTIzNDU2Nzg5MDEyMzQ1Njc4OTA"
    static let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji.XFBoMYUZodetZdvTiFvSkQ"

    /// Secrets under keys that name them: the whole value is masked.
    static let secretKeys: [CorpusEntry] = [
        secret("authorization", "Bearer " + githubToken),
        secret("http.request.header.authorization", "Bearer " + jwtHS256),
        secret("Authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
        secret("http.request.header.proxy-authorization", "Basic c3ZjLWRlcGxveTpUcjB1YjRkb3ImMw=="),
        secret("Proxy-Authorization", "Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaADAgEF"),
        secret("http.request.header.cookie", "session=8f2a9c1e4b7d; csrftoken=Zk3pQ9"),
        secret("http.response.header.set-cookie", "sid=s%3A9f8e7d6c.Zq1; Path=/; HttpOnly; Secure"),
        secret("Set-Cookie", "__Host-id=a1b2c3d4e5; Secure; Path=/"),
        secret("cookie", "_ga=GA1.2.123456789.1700000000"),
        secret("db.password", "hunter2"),
        secret("password", "correct horse battery staple"),
        secret("passwd", "Tr0ub4dor&3"),
        secret("pwd", "s3cr3t!"),
        secret("user_password", "P@ssw0rd2024"),
        secret("newPassword", "N3wP@ss!"),
        secret("db.connection.password", "pg-Pa55"),
        secret("SMTP_PASSWORD", "mail-pass-99"),
        secret("passphrase", "the quick brown fox"),
        secret("client_secret", "cs_9Yh3Kq2Lm8Np4Rt6"),
        secret("clientSecret", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
        secret("oauth.client-secret", "GOCSPX-abcdEFGHijklMNOPqrst"),
        secret("app.secret", "very-secret-value"),
        secret("SECRET", "shh"),
        secret("webhook.secret", "whsec_abc123def456"),
        secret("secret_key", "django-insecure-0a9b8c7d6e5f4g3h2i1j"),
        secret("aws_secret_access_key", awsSecret),
        secret("AWS_SECRET_ACCESS_KEY", awsSecret),
        secret("github_token", githubToken),
        secret("GITHUB_TOKEN", githubFineGrained),
        secret("slack.bot_token", slackBotToken),
        secret("NPM_TOKEN", npmToken),
        secret("access_token", "ya29.a0AfH6SMBx3kFakeAccessToken0123"),
        secret("refresh_token", "1//0gFakeRefreshTokenAbCdEf"),
        secret("refreshToken", "rt_01HZX3K9Q2"),
        secret("id_token", jwtRS256),
        secret("auth-token", "at-7f3c1a2b"),
        secret("x-auth-token", "a9f8e7d6c5b4"),
        secret("authToken", "tok_live_1234"),
        secret("http.request.header.x-amz-security-token", "IQoJb3JpZ2luX2VjEFakeSessionToken"),
        secret("csrf_token", "Zk3pQ9mW2x"),
        secret("api_key", stripeSecret),
        secret("apiKey", openAIKey),
        secret("x-api-key", googleAPIKey),
        secret("http.request.header.x-api-key", "k-0123456789abcdef"),
        secret("X-API-KEY", "ABCDEF123456"),
        secret("stripe.api-key", stripeRestricted),
        secret("private_key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"),
        secret("privateKey", "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"),
        secret("credentials", "admin:admin"),
        secret("user.credentials", "svc:pa55"),
        secret("session_id", "a3f1c9e27b4d"),
        secret("sessionid", "9d8c7b6a5f4e"),
        secret("JSESSIONID", "1A530637289A03B07199A44E8D531427"),
        secret("session.id", "00112233-4455-6677-8899-aabbccddeeff"),
    ]

    /// Secrets found by value, under harmless keys: only the secret part is replaced.
    static let secretValues: [CorpusEntry] = [
        // Bearer and Basic credentials.
        secret("message", "request sent with Bearer abcdef0123456789abcdef", "request sent with Bearer [REDACTED]"),
        secret("message", "bearer 9f8e7d6c5b4a39281706", "bearer [REDACTED]"),
        secret("http.request.header.x-forwarded-auth", "Bearer ya29.a0AfH6SMBx3kFake0123", "Bearer [REDACTED]"),
        secret("exception.message", "401 for BEARER " + githubToken + " at /api", "401 for BEARER [REDACTED] at /api"),
        secret("log", "Authorization: Bearer " + jwtHS256, "Authorization: Bearer [REDACTED]"),
        secret("message", "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Authorization: Basic [REDACTED]"),
        secret("message", "retrying with basic c3ZjLWRlcGxveTpUcjB1YjRkb3ImMw== after 401", "retrying with basic [REDACTED] after 401"),
        // JWTs.
        secret("message", jwtHS256, "[REDACTED:jwt]"),
        secret("auth.jwt", jwtRS256, "[REDACTED:jwt]"),
        secret("message", "token " + jwtES256 + " rejected: expired", "token [REDACTED:jwt] rejected: expired"),
        secret("message", "unsigned " + jwtNone + " refused", "unsigned [REDACTED:jwt] refused"),
        secret("url.path", "/callback/" + jwtHS512, "/callback/[REDACTED:jwt]"),
        secret("message", "encrypted " + jwe, "encrypted [REDACTED:jwt]"),
        secret("request.body", "{\"assertion\":\"" + jwtRS256 + "\"}", "{\"assertion\":\"[REDACTED:jwt]\"}"),
        // Payment card numbers: several schemes and formats.
        secret("payment.card", "4111111111111111", "[REDACTED:card]"),
        secret("payment.card", "4111 1111 1111 1111", "[REDACTED:card]"),
        secret("payment.card", "4012-8888-8888-1881", "[REDACTED:card]"),
        secret("payment.card", "4222222222222", "[REDACTED:card]"),
        secret("payment.card", "4000000000000000006", "[REDACTED:card]"),
        secret("payment.card", "4242 4242 4242 4242", "[REDACTED:card]"),
        secret("payment.card", "5555555555554444", "[REDACTED:card]"),
        secret("payment.card", "5200 8282 8282 8210", "[REDACTED:card]"),
        secret("payment.card", "2223003122003222", "[REDACTED:card]"),
        secret("payment.card", "378282246310005", "[REDACTED:card]"),
        secret("payment.card", "3782 822463 10005", "[REDACTED:card]"),
        secret("payment.card", "3714-496353-98431", "[REDACTED:card]"),
        secret("payment.card", "6011111111111117", "[REDACTED:card]"),
        secret("payment.card", "6011 0009 9013 9424", "[REDACTED:card]"),
        secret("payment.card", "3530111333300000", "[REDACTED:card]"),
        secret("payment.card", "3566002020360505", "[REDACTED:card]"),
        secret("payment.card", "30569309025904", "[REDACTED:card]"),
        secret("payment.card", "3852 0000 0232 37", "[REDACTED:card]"),
        secret("payment.card", "36227206271667", "[REDACTED:card]"),
        secret("payment.card", "6200000000000005", "[REDACTED:card]"),
        secret("payment.card", "6221260000000000", "[REDACTED:card]"),
        secret("payment.card", "6759649826438453", "[REDACTED:card]"),
        secret("message", "charge failed for card 5105105105105100 (declined)", "charge failed for card [REDACTED:card] (declined)"),
        secret("message", "cards: 4111111111111111, 5555555555554444.", "cards: [REDACTED:card], [REDACTED:card]."),
        secret("message", "pan=4000056655665556;", "pan=[REDACTED:card];"),
        // Email addresses.
        secret("user.email", "jane.doe@example.com", "[REDACTED:email]"),
        secret("enduser.id", "bob@example.com", "[REDACTED:email]"),
        secret("message", "Authorization failed for bob@example.com", "Authorization failed for [REDACTED:email]"),
        secret("message", "sent to first.last+tag@sub.example.co.uk.", "sent to [REDACTED:email]."),
        secret("link", "mailto:support@example.org", "mailto:[REDACTED:email]"),
        secret("message.to", "Alice <alice_smith@mail.example.net>", "Alice <[REDACTED:email]>"),
        secret("message", "users a@example.com, B.Jones@Example.IO", "users [REDACTED:email], [REDACTED:email]"),
        secret("http.url", "https://example.com/unsubscribe?email=carol%2B1@example.com", "https://example.com/unsubscribe?email=[REDACTED:email]"),
        // Passwords in URLs.
        secret("db.connection_string", "postgres://app:s3cr3tPa55@db.internal:5432/orders", "postgres://app:[REDACTED]@db.internal:5432/orders"),
        secret("url.full", "https://admin:hunter2@example.com/admin", "https://admin:[REDACTED]@example.com/admin"),
        secret("db.connection_string", "redis://:p4ssw0rd@cache:6379/0", "redis://:[REDACTED]@cache:6379/0"),
        secret("messaging.url", "amqp://guest:guest@rabbitmq:5672/", "amqp://guest:[REDACTED]@rabbitmq:5672/"),
        secret("db.connection_string", "mongodb+srv://svc:Zx9%21pw@cluster0.example.net/db?retryWrites=true", "mongodb+srv://svc:[REDACTED]@cluster0.example.net/db?retryWrites=true"),
        secret("message", "fetching ftp://user:pass@ftp.example.com/file.txt failed", "fetching ftp://user:[REDACTED]@ftp.example.com/file.txt failed"),
        // Secret parameters in URLs and connection strings.
        secret("url.full", "https://graph.example.com/v1/me?access_token=EAACEdEose0cBA123", "https://graph.example.com/v1/me?access_token=[REDACTED]"),
        secret("url.full", "https://app.example.com/cb#access_token=ya29.abc123&token_type=Bearer&expires_in=3599", "https://app.example.com/cb#access_token=[REDACTED]&token_type=Bearer&expires_in=3599"),
        secret("url.full", "https://acct.blob.core.windows.net/c/b.txt?sv=2021-08-06&se=2025-01-01&sig=abcDEF123%2Bxyz%3D", "https://acct.blob.core.windows.net/c/b.txt?sv=2021-08-06&se=2025-01-01&sig=[REDACTED]"),
        secret("url.full", "https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20250101&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7", "https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]"),
        secret("url.full", "https://storage.googleapis.com/b/o?X-Goog-Expires=900&X-Goog-Signature=9a8b7c6d5e4f", "https://storage.googleapis.com/b/o?X-Goog-Expires=900&X-Goog-Signature=[REDACTED]"),
        secret("http.target", "/login?username=bob&password=hunter2", "/login?username=bob&password=[REDACTED]"),
        secret("url.query", "key=1&api_key=" + googleAPIKey, "key=1&api_key=[REDACTED]"),
        secret("db.connection_string", "Server=db;Database=app;User Id=sa;Password=Pa55w0rd!;", "Server=db;Database=app;User Id=sa;Password=[REDACTED];"),
        secret("url.query", "token=abc123def456", "token=[REDACTED]"),
        secret("http.url", "https://example.com/?apikey=XYZ789&q=shoes", "https://example.com/?apikey=[REDACTED]&q=shoes"),
        secret("http.request.body", "grant_type=client_credentials&client_secret=cs_live_9Yh3", "grant_type=client_credentials&client_secret=[REDACTED]"),
        secret("url.full", "https://s3.amazonaws.com/b/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1700000000&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D", "https://s3.amazonaws.com/b/k?AWSAccessKeyId=[REDACTED]&Expires=1700000000&Signature=[REDACTED]"),
        secret("message", "webhook " + slackWebhook + "?token=xyz123 failed", "webhook " + slackWebhook + "?token=[REDACTED] failed"),
        // Several at once.
        secret("message", "POST https://bob:pw1@example.com/x?token=t0k3n by bob@example.com", "POST https://bob:[REDACTED]@example.com/x?token=[REDACTED] by [REDACTED:email]"),
    ]

    /// Every secret.
    static var secrets: [CorpusEntry] { secretKeys + secretValues }

    /// Harmless strings that look like secrets, under keys that look like secret keys:
    /// none may change.
    static let lookAlikes: [CorpusEntry] = [
        // Keys that look like secret keys.
        harmless("gen_ai.usage.input_tokens", "1532"),
        harmless("gen_ai.usage.output_tokens", "87"),
        harmless("gen_ai.request.max_tokens", "4096"),
        harmless("gen_ai.token.type", "input"),
        harmless("token_count", "12"),
        harmless("llm.token_count.total", "1620"),
        harmless("tokenizer", "cl100k_base"),
        harmless("token_type", "Bearer"),
        harmless("token.expires_in", "3600"),
        harmless("author", "Jane Doe"),
        harmless("authority", "login.example.com"),
        harmless("auth.method", "oauth2"),
        harmless("http.request.header.content-length", "348"),
        harmless("secretariat", "UN"),
        harmless("password_policy.min_length", "12"),
        harmless("password.changed_at", "2024-12-01T10:00:00Z"),
        harmless("passwordHash.algorithm", "argon2id"),
        harmless("next_page_token", "CAESBggDEgIIAQ"),
        harmless("pageToken", "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA2"),
        harmless("cancellation_token", "none"),
        harmless("aws.access_key_id", "AKIAIOSFODNN7EXAMPLE"),
        harmless("api_key_id", "key_01HZX3K9Q2"),
        harmless("k8s.secret.name", "db-credentials"),
        harmless("messaging.kafka.message.key", "order-4711"),
        harmless("cache.key", "user:42:profile"),
        harmless("stripe.publishable_key", "pk_test_TYooMQauvdEDq54NiTphI7jx"),
        harmless("session.previous_id", "0b2e2c1a-1111-2222-3333-444455556666"),
        harmless("feature_flag.key", "new-checkout"),
        harmless("webhook.signature_algorithm", "sha256"),
        harmless("credential_provider", "aws-iam"),
        // Names of things about secrets, in values.
        harmless("http.route", "/api/v1/users/{id}/tokens"),
        harmless("url.path", "/oauth/token"),
        harmless("http.url", "https://example.com/reset-password?user=42"),
        harmless("url.query", "q=password+manager"),
        harmless("rpc.method", "RefreshToken"),
        harmless("code.function", "validatePassword"),
        harmless("exception.type", "InvalidTokenError"),
        harmless("exception.message", "token expired"),
        harmless("message", "password"),
        harmless("message", "reset your password at https://example.com/reset"),
        harmless("db.statement", "SELECT id FROM users WHERE password_reset_at > $1"),
        harmless("process.command_args", "--token-file /var/run/secrets/token"),
        // Authorization scheme words without a credential.
        harmless("http.status_text", "Bearer token missing"),
        harmless("message", "Basic auth is disabled"),
        harmless("http.response.header.www-authenticate", "Basic realm=\"api\""),
        harmless("http.response.header.www-authenticate", "Bearer realm=\"example\", error=\"invalid_token\""),
        harmless("message", "the bearer of bad news"),
        harmless("plan", "basic plan, billed monthly"),
        harmless("http.request.header.authorization.scheme", "Bearer"),
        harmless("message", "Bearer REDACTED"),
        // IDs and hashes.
        harmless("request.id", "550e8400-e29b-41d4-a716-446655440000"),
        harmless("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
        harmless("span_id", "00f067aa0ba902b7"),
        harmless("vcs.ref.head.revision", "3f786850e387550fdab836ed7e6dc881de23001b"),
        harmless("file.hash.md5", "d41d8cd98f00b204e9800998ecf8427e"),
        harmless("file.hash.sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        harmless("container.image.id", "sha256:9b2a1f1e8c7d6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a"),
        harmless("k8s.pod.name", "checkout-7d9f8b6c5d-x2x9z"),
        harmless("cloud.resource_id", "arn:aws:iam::123456789012:role/app"),
        harmless("host.mac", "00-1B-63-84-45-E6"),
        harmless("ulid", "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
        // Base64 that is not a JWT.
        harmless("payload", "eyJrZXkiOiJ2YWx1ZSJ9"),
        harmless("payload", "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"),
        harmless("message", "eyes.on.the.road"),
        harmless("payload", "aGVsbG8gd29ybGQ="),
        harmless("payload", "SGVsbG8sIFdvcmxkIQ=="),
        harmless("cursor", "eyJpZCI6NDJ9"),
        // Numbers that are not card numbers.
        harmless("order.id", "4000123412341235"),
        harmless("order.id", "4111111111111112"),
        harmless("invoice.number", "5555 5555 5555 4445"),
        harmless("order.id", "7992739871300008"),
        harmless("order.number", "2024120112345677"),
        harmless("shipment.id", "3400000000000000"),
        harmless("customer.ref", "1234567812345670"),
        harmless("timestamp", "1733040000000"),
        harmless("timestamp", "1773040000000009"),
        harmless("time_unix_nano", "1733040000123456789"),
        harmless("message", "Processed 1234567890123 bytes"),
        harmless("phone", "+1 415-555-0132"),
        harmless("phone", "+44 20 7946 0958"),
        harmless("iban", "DE89 3704 0044 0532 0130 00"),
        harmless("isbn", "978-3-16-148410-0"),
        harmless("value", "3.14159265358979323846"),
        harmless("ratio", "0.4111111111111111"),
        harmless("card.last4", "4111 1111 1111"),
        harmless("tracking", "1Z999AA10123456784"),
        harmless("date", "2024-12-01 10:00:00.123456"),
        harmless("amount", "$1,234,567,890,123.45"),
        // @ without an email address.
        harmless("message", "@alice thanks for the review"),
        harmless("command", "ssh deploy@"),
        harmless("mail.from", "admin@localhost"),
        harmless("command", "npm install @types/node@20.1.0"),
        harmless("asset", "/img/icon@2x.png"),
        harmless("container.image.name", "nginx@sha256:0123abcd"),
        harmless("vcs.repository.url", "git@github.com:org/repo.git"),
        harmless("url.full", "https://bob@example.com/repo"),
        harmless("url.full", "ssh://git@example.com:22/repo.git"),
        harmless("message", "user@example has no domain"),
        harmless("message", "@example.com is the domain"),
        harmless("message", "name@domain.c"),
        harmless("message", "x@1.2.3.4"),
        // URLs without credentials.
        harmless("url.full", "https://example.com:8443/path"),
        harmless("url.full", "https://example.com/search?q=token"),
        harmless("url.full", "https://REDACTED:REDACTED@www.example.com/"),
        harmless("url.full", "https://www.example.com/path?q=OpenTelemetry&sig=REDACTED"),
        harmless("url.full", "https://example.com/a?page_token=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA2"),
        harmless("url.full", "https://example.com/a?next_token=abc"),
        harmless("url.full", "https://example.com/?max_tokens=256&token_count=12"),
        harmless("url.full", "https://example.com/?tokenizer=bpe"),
        harmless("url.full", "https://example.com/docs#section=auth"),
        harmless("url.full", "https://example.com/?token=&q=1"),
        harmless("url.full", "https://example.com/?key=public-map-style"),
        harmless("server.address", "api.example.com"),
        harmless("network.peer.address", "192.168.1.10:8080"),
        harmless("http.request.header.user-agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
        harmless("http.request.header.accept", "application/json"),
        harmless("message", "Retrying in 250ms (attempt 3/5)"),
        harmless("service.version", "1.2.3-beta.4+build.5"),
    ]
}
