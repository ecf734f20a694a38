import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// The web UI: plain HTML, CSS and JavaScript modules from `Sources/SpindleServer/Resources/ui`,
/// compiled into the binary (``UIAssets``) so `spindle serve` needs no other file.
///
/// The UI is one page that routes in the browser: `/`, `/search`, `/trace/{id}`,
/// `/compare`, `/map`, `/services/{service}` and `/alerts` all answer `index.html`, so every view has
/// a URL that can be shared and reopened. Assets are under `/ui/`. Every answer carries a
/// Content-Security-Policy that allows only the page's own scripts and styles: even if a
/// span name slipped into markup, no inline script or handler would run.
enum WebUI {
    /// The paths the page routes itself; each answers `index.html`.
    static let pagePaths = ["/", "/search", "/trace/:id", "/compare", "/map", "/services", "/services/:service", "/alerts"]
    static let fixedPaths = pagePaths.filter { !$0.contains(":") }

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
    ]

    /// Registers the page and its assets. With `directory`, files are read from there on
    /// every request (for working on the UI without rebuilding); otherwise the built-in copy
    /// is served.
    static func register(on router: Router<ListenerRequestContext>, directory: String?) {
        let source: AssetSource = directory.map { .directory($0) } ?? .embedded(EmbeddedAssets())
        for path in pagePaths {
            router.get(RouterPath(path)) { request, _ in
                source.respond(name: "index.html", request: request)
            }
        }
        router.get("/ui/**") { request, context in
            let name = context.parameters.getCatchAll().joined(separator: "/")
            return source.respond(name: name, request: request)
        }
    }

    /// The media type of an asset, by its extension.
    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last.map({ $0.lowercased() }) {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "json": "application/json"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }

    /// A name an asset may have: path segments of letters, digits, `-`, `_` and `.`, none
    /// starting with a dot. Anything else (`..`, encoded slashes) is not found.
    static func isSafeName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 256 else { return false }
        for segment in name.split(separator: "/", omittingEmptySubsequences: false) {
            guard let first = segment.utf8.first, first != UInt8(ascii: ".") else { return false }
            for byte in segment.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                    continue
                default:
                    return false
                }
            }
        }
        return true
    }
}

/// The built-in assets, each with its ETag computed once.
struct EmbeddedAssets: Sendable {
    struct Asset: Sendable {
        var bytes: ByteBuffer
        var etag: String
    }

    let assets: [String: Asset]

    init() {
        var assets: [String: Asset] = [:]
        for (name, text) in UIAssets.files {
            let bytes = Array(text.utf8)
            assets[name] = Asset(bytes: ByteBuffer(bytes: bytes), etag: "\"\(String(UIAssets.fingerprint(bytes), radix: 16))\"")
        }
        self.assets = assets
    }
}

enum AssetSource: Sendable {
    case embedded(EmbeddedAssets)
    case directory(String)

    func respond(name: String, request: Request) -> Response {
        guard WebUI.isSafeName(name) else { return notFound(name) }
        var headers = WebUI.securityHeaders
        headers[.contentType] = WebUI.contentType(of: name)
        headers[.cacheControl] = "no-cache"
        switch self {
        case .embedded(let embedded):
            guard let asset = embedded.assets[name] else { return notFound(name) }
            headers[.eTag] = asset.etag
            if request.headers[.ifNoneMatch] == asset.etag {
                return Response(status: .notModified, headers: headers)
            }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.bytes))
        case .directory(let directory):
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { return notFound(name) }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    private func notFound(_ name: String) -> Response {
        var headers = WebUI.securityHeaders
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .notFound, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "no UI asset named \(name.prefix(256))\n")))
    }
}

extension UIAssets {
    /// FNV-1a, 64 bits: an ETag that changes when the file does.
    static func fingerprint(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}
