import Metrics
import SpindleCollector
import SpindleModel
import Yams

extension ConfigFile.Reader {
    /// `tail_sampling`, `span_metrics`, `alerts` and `live_tail`.
    mutating func readPipelineSections(_ root: ConfigMapping) throws(ConfigFileError) {
        if let map = try root.mapping("tail_sampling") { try readTailSampling(map) }
        if let map = try root.mapping("span_metrics") { try readSpanMetrics(map) }
        if let map = try root.mapping("alerts") { try readAlerts(map) }
        if let map = try root.mapping("live_tail") { try readLiveTail(map) }
    }

    // MARK: live_tail

    private mutating func readLiveTail(_ map: ConfigMapping) throws(ConfigFileError) {
        var liveTail = configuration.liveTail
        if let value = try map.int("max_clients") { liveTail.maxClients = value }
        if let value = try map.int("buffered_spans") { liveTail.bufferedSpans = value }
        if let value = try map.byteCount("buffered_bytes") { liveTail.bufferedBytes = value }
        if let value = try map.duration("heartbeat_interval") { liveTail.heartbeatInterval = value }
        try map.finish()
        configuration.liveTail = liveTail
    }

    // MARK: tail_sampling

    private mutating func readTailSampling(_ map: ConfigMapping) throws(ConfigFileError) {
        var sampling = configuration.tailSampling ?? TailSamplingConfiguration()
        let enabled = try map.bool("enabled") ?? true
        if let value = try map.duration("decision_wait") { sampling.decisionWait = value }
        if let value = try map.int("max_traces") { sampling.maxTraces = value }
        if let value = try map.int("max_spans_per_trace") { sampling.maxSpansPerTrace = value }
        if let value = try map.int("max_buffered_spans") { sampling.maxBufferedSpans = value }
        if let value = try map.byteCount("max_buffered_bytes") { sampling.maxBufferedBytes = value }
        if let value = try map.int("decision_cache_size") { sampling.decisionCacheSize = value }
        if let policies = try map.list("policies") {
            sampling.policies = []
            for (node, path) in policies {
                let policy = try ConfigMapping(node, path: path)
                guard let name = try policy.string("name") else {
                    throw ConfigFileError(line: policy.line, "\(path) needs a name (it labels the policy's counters)")
                }
                sampling.policies.append(TailSamplingPolicy(name: name, rule: try Self.rule(policy)))
            }
        }
        try map.finish()
        do throws(TailSamplingConfigurationError) {
            _ = try TailSampler(configuration: sampling, metrics: NOOPMetricsHandler.instance)
        } catch {
            throw ConfigFileError(line: map.line, "tail_sampling: \(error.message)")
        }
        configuration.tailSampling = enabled ? sampling : nil
    }

    /// A policy's rule from its `type` and that type's keys; `and`/`or` take `rules:`
    /// (a list of rules without names), `not` takes `rule:`.
    static func rule(_ map: ConfigMapping) throws(ConfigFileError) -> TailSamplingPolicy.Rule {
        let types = ["always", "error", "latency", "attribute", "probabilistic", "rate_limit", "and", "or", "not"]
        guard let type = try map.choice("type", types.map { ($0, $0) }) else {
            throw ConfigFileError(line: map.line, "\(map.path) needs a type: one of \(types.joined(separator: ", "))")
        }
        let rule: TailSamplingPolicy.Rule
        switch type {
        case "always":
            rule = .always
        case "error":
            rule = .error
        case "latency":
            guard let threshold = try map.duration("threshold") else {
                throw ConfigFileError(line: map.line, "\(map.path) (latency) needs a threshold, such as 2s")
            }
            rule = .latency(threshold, service: try map.string("service"), operation: try map.string("operation"))
        case "attribute":
            rule = .attribute(try attributeCondition(map))
        case "probabilistic":
            if let percentage = try map.double("percentage") {
                rule = .probabilistic(percentage / 100)
            } else if let fraction = try map.double("fraction") {
                rule = .probabilistic(fraction)
            } else {
                throw ConfigFileError(line: map.line, "\(map.path) (probabilistic) needs a percentage (0 to 100) or a fraction (0 to 1)")
            }
        case "rate_limit":
            guard let rate = try map.double("traces_per_second") else {
                throw ConfigFileError(line: map.line, "\(map.path) (rate_limit) needs traces_per_second")
            }
            rule = .rateLimit(tracesPerSecond: rate, perService: try map.bool("per_service") ?? true)
        case "not":
            guard let inner = try map.mapping("rule") else {
                throw ConfigFileError(line: map.line, "\(map.path) (not) needs a rule")
            }
            rule = .not(try Self.rule(inner))
        default: // and, or
            guard let items = try map.list("rules"), !items.isEmpty else {
                throw ConfigFileError(line: map.line, "\(map.path) (\(type)) needs a list of rules")
            }
            var rules: [TailSamplingPolicy.Rule] = []
            for (node, path) in items {
                rules.append(try Self.rule(try ConfigMapping(node, path: path)))
            }
            rule = type == "and" ? .and(rules) : .or(rules)
        }
        try map.finish()
        return rule
    }

    /// `key` and exactly one of `exists`, `equals`, `one_of`, `prefix`, `min`/`max`,
    /// `bool`; `in` is `span`, `resource` or `span_or_resource` (the default).
    private static func attributeCondition(_ map: ConfigMapping) throws(ConfigFileError) -> TailSamplingPolicy.AttributeCondition {
        guard let key = try map.string("key") else {
            throw ConfigFileError(line: map.line, "\(map.path) (attribute) needs a key")
        }
        let places = try map.choice("in", [("span", TailSamplingPolicy.AttributeCondition.Places.span), ("resource", .resource), ("span_or_resource", .spanOrResource)]) ?? .spanOrResource
        var matches: [TailSamplingPolicy.AttributeCondition.Match] = []
        if try map.bool("exists") == true { matches.append(.exists) }
        if let value = try map.string("equals") { matches.append(.equals(value)) }
        if let values = try map.strings("one_of") { matches.append(.oneOf(values)) }
        if let value = try map.string("prefix") { matches.append(.hasPrefix(value)) }
        let minimum = try map.double("min")
        let maximum = try map.double("max")
        if minimum != nil || maximum != nil {
            let low = minimum ?? -.infinity
            let high = maximum ?? .infinity
            guard low <= high else {
                throw ConfigFileError(line: map.line, "\(map.path): min \(low) is above max \(high)")
            }
            matches.append(.numberIn(low...high))
        }
        if let value = try map.bool("bool") { matches.append(.bool(value)) }
        guard matches.count == 1, let match = matches.first else {
            throw ConfigFileError(line: map.line, "\(map.path) (attribute) needs exactly one test: exists, equals, one_of, prefix, min/max or bool")
        }
        return TailSamplingPolicy.AttributeCondition(key: key, match, in: places)
    }

    // MARK: span_metrics

    private mutating func readSpanMetrics(_ map: ConfigMapping) throws(ConfigFileError) {
        var metrics = configuration.spanMetrics ?? SpanMetricsConfiguration()
        let enabled = try map.bool("enabled") ?? true
        if let items = try map.list("histogram_buckets") {
            var buckets: [Duration] = []
            for (node, path) in items {
                guard case .scalar(let scalar) = node, let bucket = DurationText.parse(scalar.string) else {
                    throw ConfigFileError(line: node.mark?.line, "\(path) must be a duration such as 250ms")
                }
                buckets.append(bucket)
            }
            metrics.histogramBuckets = buckets
        }
        if let value = try map.int("max_series") { metrics.maxSeries = value }
        if let value = try map.int("max_edges") { metrics.maxEdges = value }
        if let value = try map.duration("resolution") { metrics.resolution = value }
        if let value = try map.duration("retention") { metrics.retention = value }
        if let value = try map.duration("service_graph_wait") { metrics.serviceGraphWait = value }
        if let value = try map.int("max_pending_edges") { metrics.maxPendingEdges = value }
        try map.finish()
        do throws(SpanMetricsConfigurationError) {
            try metrics.validate()
        } catch {
            throw ConfigFileError(line: map.line, "span_metrics: \(error.message)")
        }
        configuration.spanMetrics = enabled ? metrics : nil
    }

    // MARK: alerts

    private mutating func readAlerts(_ map: ConfigMapping) throws(ConfigFileError) {
        var alerts = configuration.alerts
        if let value = try map.duration("evaluation_interval") { alerts.evaluationInterval = value }
        if let items = try map.list("webhooks") {
            alerts.webhooks = []
            for (node, path) in items {
                let hook = try ConfigMapping(node, path: path)
                guard let name = try hook.string("name"), let url = try hook.string("url") else {
                    throw ConfigFileError(line: hook.line, "\(path) needs a name and a url")
                }
                var webhook = AlertWebhook(name: name, url: url)
                if let format = try hook.choice("format", AlertWebhook.Format.allCases.map { ($0.rawValue, $0) }) { webhook.format = format }
                if let headers = try hook.stringMap("headers") { webhook.headers = headers }
                if let value = try hook.int("max_attempts") { webhook.maxAttempts = value }
                if let value = try hook.duration("timeout") { webhook.timeout = value }
                try hook.finish()
                alerts.webhooks.append(webhook)
            }
        }
        if let items = try map.list("rules") {
            alerts.rules = []
            alerts.routes = [:]
            for (node, path) in items {
                let ruleMap = try ConfigMapping(node, path: path)
                let (rule, notify) = try Self.alertRule(ruleMap)
                alerts.rules.append(rule)
                if let notify { alerts.routes[rule.name] = notify }
            }
        }
        try map.finish()
        configuration.alerts = alerts
    }

    /// A rule: `name`, `service`, `operation`, `kind`, exactly one condition
    /// (`error_rate: {above}`, `latency: {quantile, above}`, `request_rate: {above | below}`,
    /// `absent: true`), `window`, `for`, `labels`, `annotations`, `notify`.
    private static func alertRule(_ map: ConfigMapping) throws(ConfigFileError) -> (AlertRule, [String]?) {
        guard let name = try map.string("name") else {
            throw ConfigFileError(line: map.line, "\(map.path) needs a name")
        }
        var conditions: [AlertRule.Condition] = []
        if let errorRate = try map.mapping("error_rate") {
            guard let above = try errorRate.double("above") else {
                throw ConfigFileError(line: errorRate.line, "\(errorRate.path) needs above, a fraction such as 0.05")
            }
            try errorRate.finish()
            conditions.append(.errorRate(above: above))
        }
        if let latency = try map.mapping("latency") {
            guard let quantile = try latency.double("quantile"), let above = try latency.duration("above") else {
                throw ConfigFileError(line: latency.line, "\(latency.path) needs quantile (such as 0.99) and above (such as 500ms)")
            }
            try latency.finish()
            conditions.append(.latency(quantile: quantile, above: above))
        }
        if let rate = try map.mapping("request_rate") {
            let above = try rate.double("above")
            let below = try rate.double("below")
            try rate.finish()
            switch (above, below) {
            case (let above?, nil): conditions.append(.requestRateAbove(perSecond: above))
            case (nil, let below?): conditions.append(.requestRateBelow(perSecond: below))
            default: throw ConfigFileError(line: rate.line, "\(rate.path) needs one of above or below (requests per second)")
            }
        }
        if try map.bool("absent") == true { conditions.append(.absent) }
        guard conditions.count == 1, let condition = conditions.first else {
            throw ConfigFileError(line: map.line, "\(map.path) needs exactly one condition: error_rate, latency, request_rate or absent")
        }
        guard let window = try map.duration("window") else {
            throw ConfigFileError(line: map.line, "\(map.path) needs a window, such as 5m")
        }
        var kind: SpanKind?
        if let (text, line) = try map.scalar("kind") {
            guard let parsed = SpanKind(name: text) else {
                throw ConfigFileError(line: line, "\(map.keyPath("kind")) \"\(text)\" is not one of: server, client, producer, consumer, internal")
            }
            kind = parsed
        }
        let rule = AlertRule(
            name: name,
            service: try map.string("service"),
            operation: try map.string("operation"),
            kind: kind,
            condition: condition,
            window: window,
            forDuration: try map.duration("for") ?? .zero,
            labels: try map.stringMap("labels") ?? [:],
            annotations: try map.stringMap("annotations") ?? [:]
        )
        let notify = try map.strings("notify")
        try map.finish()
        return (rule, notify)
    }
}
