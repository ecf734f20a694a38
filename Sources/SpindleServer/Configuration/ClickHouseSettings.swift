import Foundation
public import SpindleClickHouse

/// Where `--storage clickhouse` stores spans: one ClickHouse server, or every shard of a
/// cluster (`docs/scale-out.md`). The store's own configuration, under the server's name.
public typealias ClickHouseSettings = ClickHouseStoreConfiguration

extension ClickHouseStoreConfiguration {
    /// The environment variable `spindle serve` reads the password from when no flag
    /// or file gives it.
    public static let passwordEnvironmentVariable = "SPINDLE_CLICKHOUSE_PASSWORD"

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
