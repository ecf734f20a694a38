import Foundation

/// Where `--storage clickhouse` stores spans: one ClickHouse server, or every shard of a
/// cluster (`docs/scale-out.md`).
///
/// The password is never part of ``description`` and never logged.
public struct ClickHouseSettings: Sendable, Hashable, CustomStringConvertible {
    /// HTTP interfaces, e.g. `http://127.0.0.1:8123`. Without a cluster, the first that
    /// answers is used and the others are fallbacks holding the same database; with a
    /// cluster, one per shard (the schema is created on each) and the first that answers
    /// takes the queries and inserts.
    public var urls: [String]
    /// The database Spindle creates and uses.
    public var database: String
    public var user: String
    public var password: String
    /// The name of a cluster in the servers' `remote_servers` configuration. When set,
    /// Spindle reads and writes through `Distributed` tables over it, sharded by trace ID.
    public var cluster: String?

    public init(
        urls: [String] = ["http://127.0.0.1:8123"],
        database: String = "spindle",
        user: String = "default",
        password: String = "",
        cluster: String? = nil
    ) {
        self.urls = urls
        self.database = database
        self.user = user
        self.password = password
        self.cluster = cluster
    }

    /// The environment variable `spindle serve` reads the password from when no flag
    /// or file gives it.
    public static let passwordEnvironmentVariable = "SPINDLE_CLICKHOUSE_PASSWORD"

    public var description: String {
        let where_ = cluster.map { " cluster \($0)" } ?? ""
        return "ClickHouse \(urls.joined(separator: ", ")) database \(database) user \(user)\(where_)"
            + (password.isEmpty ? "" : " (with a password)")
    }

    func validate() throws(SpindleServerError) {
        guard !urls.isEmpty else {
            throw SpindleServerError(.invalidConfiguration, "--storage clickhouse needs --clickhouse-url (the server's HTTP interface, e.g. http://127.0.0.1:8123)")
        }
        for url in urls {
            let lowered = url.lowercased()
            guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.count > 8 else {
                throw SpindleServerError(.invalidConfiguration, "--clickhouse-url \"\(url)\" is not an HTTP URL; give the server's HTTP interface, e.g. http://127.0.0.1:8123")
            }
            if url.contains("@") {
                throw SpindleServerError(.invalidConfiguration, "--clickhouse-url must not carry credentials; pass --clickhouse-user and the password by --clickhouse-password-file or \(Self.passwordEnvironmentVariable)")
            }
        }
        guard !database.isEmpty, database.utf8.count <= 200 else {
            throw SpindleServerError(.invalidConfiguration, "--clickhouse-database must be a name of 1 to 200 bytes")
        }
        if let cluster, cluster.isEmpty {
            throw SpindleServerError(.invalidConfiguration, "--clickhouse-cluster is empty; give the cluster's name from the servers' remote_servers")
        }
    }
}

extension ClickHouseSettings {
    /// The password in the file at `path`, less one trailing newline; nil when the file
    /// cannot be read or is not UTF-8. Errors built from this name the file, never its
    /// contents.
    public static func readPassword(path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else { return nil }
        // "\r\n" is one Character in Swift: removeLast drops it whole.
        if text.hasSuffix("\r\n") || text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
