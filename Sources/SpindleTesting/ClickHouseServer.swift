public import Foundation

/// A private `clickhouse-server` for a test: its own temporary directory, free loopback
/// ports, and a user with a password besides the passwordless `default` user.
///
/// ``start(password:startupLimit:)`` returns once the server answers `SELECT 1` over HTTP;
/// ``stop()`` (also run when the value is released) ends it with SIGTERM, then SIGKILL if it lingers,
/// and removes the directory. When the binary is missing, `scripts/clickhouse-env.sh` is
/// run once to install it; if it is still missing the error says so: a test that needs
/// ClickHouse fails loudly, it never skips.
public final class ClickHouseServer: @unchecked Sendable {
    /// The user with a password that ``start(password:startupLimit:)`` configures.
    public static let user = "spindle"

    /// The server's HTTP interface, e.g. `http://127.0.0.1:40123`.
    public let httpURL: String
    public let httpPort: Int
    public let tcpPort: Int
    /// The password of ``user``.
    public let password: String
    /// The server's private directory (data, logs, configuration).
    public let directory: URL

    // The only mutable state (hence `@unchecked Sendable`): the child's pid, behind `lock`.
    private let lock = NSLock()
    private var pid: pid_t?

    private init(pid: pid_t, directory: URL, httpPort: Int, tcpPort: Int, password: String) {
        self.pid = pid
        self.directory = directory
        self.httpPort = httpPort
        self.tcpPort = tcpPort
        self.password = password
        httpURL = "http://127.0.0.1:\(httpPort)"
    }

    deinit { stop() }

    /// Starts a server and waits until it answers `SELECT 1` (for up to `startupLimit`
    /// seconds: a deadline for a broken install, not a measurement).
    public static func start(password: String = "s3cret-Pa55 \"<&>'", startupLimit: Double = 120) throws -> ClickHouseServer {
        // The ports were free a moment before the server binds them: another process may
        // take one in between, and the server then exits at once. A second try, on other
        // ports, rides that out.
        var attempt = 0
        while true {
            attempt += 1
            let directory = try makeDirectory()
            do {
                return try launch(in: directory, ports: try freePorts(3), configFile: "/etc/clickhouse-server/config.xml", password: password, startupLimit: startupLimit)
            } catch let failure as Failure where failure.exitedEarly && attempt < 2 {
                try? FileManager.default.removeItem(at: directory)
            } catch {
                try? FileManager.default.removeItem(at: directory)
                throw error
            }
        }
    }

    /// Starts `shards` servers that form the cluster `name` (one shard each, in order),
    /// whose configuration `scripts/clickhouse-cluster.sh` writes, and waits until every
    /// one answers. Stopping them is the caller's (each ``stop()``).
    public static func startCluster(name: String, shards: Int, password: String = "s3cret-Pa55 \"<&>'", startupLimit: Double = 120) throws -> [ClickHouseServer] {
        let ports = try freePorts(3 * shards)
        let shardAddresses = (0..<shards).map { "127.0.0.1:\(ports[3 * $0 + 1])" }
        var started: [ClickHouseServer] = []
        do {
            for shard in 0..<shards {
                let directory = try makeDirectory()
                do {
                    // The shards query each other as the user with a password, which the
                    // script writes into remote_servers (XML-escaped: the default password
                    // holds <, & and quotes).
                    let passwordFile = directory.appendingPathComponent("cluster-password")
                    try Data(password.utf8).write(to: passwordFile)
                    let script = PythonTools.repositoryRoot.appendingPathComponent("scripts/clickhouse-cluster.sh").path
                    let output = try PythonTools.run(
                        script, [directory.path + "/conf", name] + shardAddresses,
                        environment: ["CLICKHOUSE_CLUSTER_USER": user, "CLICKHOUSE_CLUSTER_PASSWORD_FILE": passwordFile.path]
                    )
                    guard output.status == 0 else {
                        throw Failure(description: "scripts/clickhouse-cluster.sh exited with status \(output.status): \(output.stderr)")
                    }
                    let shardPorts = Array(ports[(3 * shard)..<(3 * shard + 3)])
                    started.append(try launch(in: directory, ports: shardPorts, configFile: directory.path + "/conf/config.xml", password: password, startupLimit: startupLimit))
                } catch {
                    try? FileManager.default.removeItem(at: directory)
                    throw error
                }
            }
            return started
        } catch {
            for server in started { server.stop() }
            throw error
        }
    }

    private static func makeDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-clickhouse-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Spawns a server in `directory` on `ports` (HTTP, TCP, interserver) and waits until
    /// it answers `SELECT 1`; on failure it is stopped (its directory is the caller's).
    private static func launch(in directory: URL, ports: [Int], configFile: String, password: String, startupLimit: Double) throws -> ClickHouseServer {
        let binary = try serverBinary()
        try usersXML(password: password).write(to: directory.appendingPathComponent("users.xml"), atomically: true, encoding: .utf8)
        let path = directory.path + "/"
        let arguments = [
            binary, "--config-file=\(configFile)", "--",
            "--path=\(path)", "--tmp_path=\(path)tmp/", "--user_files_path=\(path)user_files/",
            "--format_schema_path=\(path)format_schemas/", "--users_config=\(path)users.xml",
            "--http_port=\(ports[0])", "--tcp_port=\(ports[1])", "--interserver_http_port=\(ports[2])",
            "--listen_host=127.0.0.1",
            "--logger.log=\(path)server.log", "--logger.errorlog=\(path)err.log",
        ]
        let pid = try spawn(arguments, output: path + "stdout.log")
        let server = ClickHouseServer(pid: pid, directory: directory, httpPort: ports[0], tcpPort: ports[1], password: password)
        let deadline = Date().addingTimeInterval(startupLimit)
        while !server.answersSelectOne() {
            if let status = server.exitStatus() {
                let log = server.logTail()
                server.stop()
                var failure = Failure(description: "clickhouse-server exited (wait status \(status)) before answering SELECT 1:\n\(log)")
                failure.exitedEarly = true
                throw failure
            }
            guard Date() < deadline else {
                let log = server.logTail()
                server.stop()
                throw Failure(description: "clickhouse-server did not answer SELECT 1 within \(Int(startupLimit)) s:\n\(log)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return server
    }

    /// Ends the server (SIGTERM, then SIGKILL after 5 s: its data is thrown away, and with
    /// client connections open 18.16 can take longer to exit), reaps it and removes its
    /// directory. Idempotent.
    public func stop() {
        let running: pid_t? = lock.withLock {
            defer { pid = nil }
            return pid
        }
        guard let running else { return }
        var status: Int32 = 0
        if waitpid(running, &status, WNOHANG) == 0 {
            kill(running, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            var reaped = false
            while Date() < deadline {
                if waitpid(running, &status, WNOHANG) != 0 {
                    reaped = true
                    break
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            if !reaped {
                kill(running, SIGKILL)
                while waitpid(running, &status, 0) < 0, errno == EINTR {}
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The wait status when the server has exited (and is then reaped), else nil.
    private func exitStatus() -> Int32? {
        lock.withLock {
            guard let running = pid else { return 0 }
            var status: Int32 = 0
            guard waitpid(running, &status, WNOHANG) == running else { return nil }
            pid = nil
            return status
        }
    }

    /// Starts `arguments[0]` with `arguments` as its argv, stdin from /dev/null, stdout and
    /// stderr appended to `output`.
    ///
    /// posix_spawn and waitpid rather than Foundation's `Process`: on Linux, `Process`
    /// reaps its children one at a time on a shared queue, so a long-running child (this
    /// server, for a whole suite) would keep every later `Process` in the test run from
    /// ever being seen to exit.
    private static func spawn(_ arguments: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard result == 0 else { throw Failure(description: "posix_spawn \(arguments[0]) failed: error \(result)") }
        return pid
    }

    /// The last lines of the server's logs, for error messages.
    public func logTail(lines: Int = 30) -> String {
        ["stdout.log", "err.log"].map { name -> String in
            let text = (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
            return "--- \(name)\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// The server exited before answering (as when a port was taken meanwhile).
        var exitedEarly = false

        public init(description: String) {
            self.description = description
        }
    }

    // MARK: Finding the binary

    private static let installLock = NSLock()
    nonisolated(unsafe) private static var installAttempt: String?

    /// The server binary, running `scripts/clickhouse-env.sh` (once per process) when it
    /// is not installed.
    static func serverBinary() throws -> String {
        if let found = findBinary() { return found }
        let scriptOutput: String = installLock.withLock {
            if let installAttempt { return installAttempt }
            let script = PythonTools.repositoryRoot.appendingPathComponent("scripts/clickhouse-env.sh").path
            let result: String
            do {
                let output = try PythonTools.run(script, [])
                result = "scripts/clickhouse-env.sh exited with status \(output.status): \(output.stderr)"
            } catch {
                result = "scripts/clickhouse-env.sh could not run: \(error)"
            }
            installAttempt = result
            return result
        }
        if let found = findBinary() { return found }
        throw Failure(description: "clickhouse-server is not installed and installing it failed, so the ClickHouse tests cannot run. \(scriptOutput)")
    }

    private static func findBinary() -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin"]
        return directories.map { $0 + "/clickhouse-server" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    // MARK: Configuration

    private static func usersXML(password: String) -> String {
        let networks = "<networks><ip>127.0.0.1</ip><ip>::1</ip></networks>"
        return """
        <?xml version="1.0"?>
        <yandex>
            <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
            <users>
                <default><password></password>\(networks)<profile>default</profile><quota>default</quota></default>
                <\(user)><password>\(xmlEscaped(password))</password>\(networks)<profile>default</profile><quota>default</quota></\(user)>
            </users>
            <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
        </yandex>
        """
    }

    private static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&apos;")
    }

    // MARK: Sockets

    /// `count` distinct loopback ports that were free a moment ago (bound to port 0, then
    /// released; all held open together so they differ).
    public static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
            sockets.append(fd)
            var address = loopback(port: 0)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw Failure(description: "bind to 127.0.0.1:0 failed: errno \(errno)") }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else { throw Failure(description: "getsockname failed: errno \(errno)") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// One blocking HTTP/1.0 request for `SELECT 1`; true when the body is `1`.
    private func answersSelectOne() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = Self.loopback(port: UInt16(httpPort))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        let request = Array("GET /?query=SELECT%201 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { return false }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while response.count < 65536 {
            let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { break }
            response.append(contentsOf: chunk[0..<received])
        }
        let text = String(decoding: response, as: UTF8.self)
        return text.hasPrefix("HTTP/1.") && text.contains(" 200 ") && text.hasSuffix("\r\n\r\n1\n")
    }
}
