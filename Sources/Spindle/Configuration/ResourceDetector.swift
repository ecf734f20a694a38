import Foundation
import SpindleModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Builds the process's resource (OpenTelemetry resource semantic conventions).
enum ResourceDetector {
    /// Precedence, highest first: `serviceName`/`serviceVersion`, `attributes`
    /// (`OTEL_RESOURCE_ATTRIBUTES`), the detected host and process attributes.
    /// `telemetry.sdk.*` always come from `SpindleSDK`.
    static func resource(serviceName: String?, serviceVersion: String?, attributes: [Attribute]) -> Resource {
        let sdkKeys = Set(SpindleSDK.resourceAttributes.map(\.key))
        let name = serviceName ?? attributes["service.name"]?.stringValue ?? "unknown_service:\(executableName)"
        var result = [Attribute("service.name", .string(name))]
        if let version = serviceVersion ?? attributes["service.version"]?.stringValue {
            result.append(Attribute("service.version", .string(version)))
        }
        var seen: Set<String> = ["service.name", "service.version"]
        for attribute in attributes + detected where !sdkKeys.contains(attribute.key) {
            if seen.insert(attribute.key).inserted { result.append(attribute) }
        }
        return Resource(attributes: result + SpindleSDK.resourceAttributes)
    }

    /// `host.name`, `process.pid`, `process.executable.name`, `process.runtime.name`,
    /// `process.runtime.version` and `os.type`, from the running process.
    static var detected: [Attribute] {
        var attributes: [Attribute] = []
        if let host = hostName { attributes.append(Attribute("host.name", .string(host))) }
        attributes += [
            Attribute("process.pid", .int(Int64(getpid()))),
            Attribute("process.executable.name", .string(executableName)),
            Attribute("process.runtime.name", .string("swift")),
            Attribute("process.runtime.version", .string(swiftVersion)),
            Attribute("os.type", .string(osType)),
        ]
        return attributes
    }

    static var executableName: String { ProcessInfo.processInfo.processName }

    /// `gethostname(2)` (not `ProcessInfo.hostName`, which may do a DNS lookup on Darwin).
    static var hostName: String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }

    /// The semantic conventions' `os.type` values.
    static var osType: String {
        #if os(Linux)
        "linux"
        #elseif os(macOS) || os(iOS) || os(tvOS) || os(watchOS) || os(visionOS)
        "darwin"
        #elseif os(Windows)
        "windows"
        #elseif os(FreeBSD)
        "freebsd"
        #else
        "unknown"
        #endif
    }

    /// The Swift compiler that built the SDK.
    static var swiftVersion: String {
        #if compiler(>=6.4)
        "6.4+"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #else
        "6.0"
        #endif
    }
}
