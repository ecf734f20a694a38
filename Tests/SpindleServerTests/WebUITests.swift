import Foundation
import Testing

@testable import SpindleServer

/// The web UI as the server holds it. The browser tests (Tests/UI, scripts/ui-test.sh)
/// check what the page does; these check what the binary serves.
@Suite("Web UI assets")
struct WebUITests {
    /// The files under Sources/SpindleServer/Resources/ui.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/SpindleServer/Resources/ui")

    static func filesOnDisk() throws -> [String: String] {
        var files: [String: String] = [:]
        let root = directory.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else { return files }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = root + "/" + relative
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            files[relative] = try String(contentsOfFile: path, encoding: .utf8)
        }
        return files
    }

    @Test("the binary's copy is exactly the files (run scripts/embed-ui.py after changing them)")
    func embeddedAssetsMatchTheFiles() throws {
        let onDisk = try Self.filesOnDisk()
        #expect(onDisk.keys.contains("index.html"))
        let sameNames = Set(UIAssets.files.keys) == Set(onDisk.keys)
        #expect(sameNames, "files added or removed: run scripts/embed-ui.py")
        for (name, text) in onDisk {
            let same = UIAssets.files[name] == text
            #expect(same, "\(name) differs from its embedded copy: run scripts/embed-ui.py")
        }
    }

    @Test("no UI source assigns markup from strings")
    func noMarkupFromStrings() throws {
        for (name, text) in try Self.filesOnDisk() where name.hasSuffix(".js") {
            for forbidden in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
                #expect(!text.contains(forbidden), "\(name) uses \(forbidden)")
            }
        }
    }

    @Test("every module the page imports is there")
    func importsResolve() throws {
        let files = try Self.filesOnDisk()
        let pattern = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/
        for (name, text) in files where name.hasSuffix(".js") {
            let base = URL(fileURLWithPath: "/" + name).deletingLastPathComponent()
            for match in text.matches(of: pattern) {
                let target = base.appendingPathComponent(String(match.1)).standardizedFileURL.path.dropFirst()
                #expect(files[String(target)] != nil, "\(name) imports \(match.1), which does not exist")
            }
        }
        let index = try #require(files["index.html"])
        for match in index.matches(of: /(?:href|src)="\/ui\/([^"]+)"/) {
            #expect(files[String(match.1)] != nil, "index.html links /ui/\(match.1), which does not exist")
        }
    }

    @Test("asset names", arguments: [
        ("app.js", true), ("lib/dom.js", true), ("css/base.css", true),
        ("../Package.swift", false), ("lib/../app.js", false), (".git/config", false), ("a//b.js", false),
        ("", false), ("x%2F..", false), ("lib/\u{0}.js", false), ("über.js", false),
    ])
    func assetNames(name: String, safe: Bool) {
        #expect(WebUI.isSafeName(name) == safe)
    }

    @Test("the page and its assets over HTTP")
    func served() async throws {
        try await withServer { server in
            let page = try await get(server.http + "/trace/0123")
            #expect(page.status == 200)
            #expect(page.headers["content-type"].first == "text/html; charset=utf-8")
            #expect(page.text == UIAssets.files["index.html"])
            #expect(page.headers["content-security-policy"].first?.contains("script-src 'self'") == true)

            let script = try await get(server.http + "/ui/lib/dom.js")
            #expect(script.status == 200)
            #expect(script.headers["content-type"].first == "text/javascript; charset=utf-8")
            let etag = try #require(script.headers["etag"].first)
            let again = try await send(.GET, server.http + "/ui/lib/dom.js", headers: [("If-None-Match", etag)])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)

            let missing = try await get(server.http + "/ui/lib/nothing.js")
            #expect(missing.status == 404)
            #expect(missing.text == "no UI asset named lib/nothing.js\n")
            let traversal = try await get(server.http + "/ui/%2e%2e/Package.swift")
            #expect(traversal.status == 404)
            let posted = try await send(.POST, server.http + "/search")
            #expect(posted.status == 405)
        }
    }

    @Test("--ui-dir serves the files from disk")
    func fromDirectory() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-ui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("lib"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "<!doctype html><title>dev</title>".write(to: directory.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try "export const x = 1;".write(to: directory.appendingPathComponent("lib/x.js"), atomically: true, encoding: .utf8)
        try await withServer({ $0.uiDirectory = directory.path }) { server in
            let page = try await get(server.http + "/")
            #expect(page.text == "<!doctype html><title>dev</title>")
            let module = try await get(server.http + "/ui/lib/x.js")
            #expect(module.text == "export const x = 1;")
            let missing = try await get(server.http + "/ui/app.js")
            #expect(missing.status == 404)
        }
    }
}
