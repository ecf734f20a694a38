import Foundation
import ServiceLifecycle
import Spindle

/// How a demo service traces itself: the Spindle SDK, configured as a user would
/// configure it (the OpenTelemetry environment variables), with the service's name and
/// version and the demo collector's endpoint set in code, which wins over them.
enum DemoTracing {
    static func bootstrap(service: DemoTopology.Service, endpoint: String) throws -> SpindleService {
        var configuration = SpindleConfiguration()
        configuration.serviceName = service.rawValue
        configuration.serviceVersion = service.version
        guard let url = URL(string: endpoint) else {
            throw SpindleDemoError("--otlp-endpoint \"\(endpoint)\" is not a URL")
        }
        configuration.tracesEndpoint = url
        // Short batches, so a new user sees traces within a second or two.
        configuration.batch.scheduledDelay = .milliseconds(500)
        return SpindleSDK.bootstrap(configuration: configuration)
    }
}

struct SpindleDemoError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
