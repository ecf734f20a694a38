import SpindleModel
import Tracing

extension RecordingSpan {
    /// Everything about a recording span that changes after its start, kept under the
    /// span's lock.
    struct State {
        var name: String
        var attributes = SpanAttributes()
        var droppedAttributes = 0
        var events: [Tracing.SpanEvent] = []
        var droppedEvents = 0
        var links: [(context: SpanContext, attributes: SpanAttributes)] = []
        var droppedLinks = 0
        var status = SpindleModel.SpanStatus.unset
        /// Set by the first `end`; every later change is ignored.
        var hasEnded = false
        /// Attribute changes in progress that moved the dictionary out (see `takeAttributes`).
        var attributesOut = 0
        /// The end time of an `end` that came while attributes were out: the last
        /// `putBack` finishes the span, so the change in progress is not lost.
        var pendingEnd: UInt64?

        init(name: String) {
            self.name = name
        }

        /// Attributes to change, and whether they moved out. Far from the count limit
        /// they move out, leaving the state without them until `putBack`, so the change
        /// happens in place; near the limit (or after the end) they are copied, so that
        /// `putBack` still has the keys that were there before.
        mutating func takeAttributes(limit: Int) -> (attributes: SpanAttributes, moved: Bool) {
            if hasEnded || attributes.count >= limit {
                return (attributes, false)
            }
            attributesOut += 1
            if attributes.isEmpty {
                // Room for a typical span's attributes in one allocation.
                return (SpanAttributes([String: SpanAttribute](minimumCapacity: 8)), true)
            }
            var moved = SpanAttributes()
            swap(&moved, &attributes)
            return (moved, true)
        }

        /// Stores changed attributes. Another thread may have written attributes while
        /// these were out: its keys are kept unless this change set them too. Returns
        /// the span's end when this put-back completes an `end` that waited for it.
        mutating func putBack(_ changed: SpanAttributes, moved: Bool, limit: Int) -> (Ended, endTime: UInt64)? {
            guard moved else {
                if !hasEnded { store(changed, limit: limit, keeping: attributes) }
                return nil
            }
            attributesOut -= 1
            if attributes.isEmpty {
                store(changed, limit: limit, keeping: nil)
            } else {
                var merged = changed
                attributes.forEach { key, value in
                    if merged.get(key) == nil { merged.set(key, value: value) }
                }
                store(merged, limit: limit, keeping: nil)
            }
            guard attributesOut == 0, let endTime = pendingEnd else { return nil }
            pendingEnd = nil
            return (finish(), endTime)
        }

        /// Stores `newValue` within `limit` keys: the keys of `accepted` first, then new
        /// keys in lexicographic order; the rest are dropped and counted.
        mutating func store(_ newValue: SpanAttributes, limit: Int, keeping accepted: SpanAttributes?) {
            if newValue.count <= limit {
                attributes = newValue
            } else {
                let (kept, dropped) = newValue.limited(to: limit, keeping: accepted ?? SpanAttributes())
                attributes = kept
                droppedAttributes += dropped
            }
        }

        /// Marks the span ended. Returns what the finished span is made of, or nil when
        /// the span had ended already or an attribute change is still out (then its
        /// `putBack` finishes the span).
        mutating func end(at endTime: UInt64) -> Ended? {
            guard !hasEnded else { return nil }
            hasEnded = true
            guard attributesOut == 0 else {
                pendingEnd = endTime
                return nil
            }
            return finish()
        }

        /// Events and links move out (nothing reads them after the end); the name,
        /// attributes and status stay readable.
        private mutating func finish() -> Ended {
            Ended(
                name: name, attributes: attributes, droppedAttributes: droppedAttributes,
                events: Self.take(&events), droppedEvents: droppedEvents,
                links: Self.take(&links), droppedLinks: droppedLinks, status: status)
        }

        private static func take<Element>(_ array: inout [Element]) -> [Element] {
            var taken: [Element] = []
            swap(&taken, &array)
            return taken
        }
    }

    /// What `end` takes from the state, under the lock, to build the finished span.
    struct Ended {
        var name: String
        var attributes: SpanAttributes
        var droppedAttributes: Int
        var events: [Tracing.SpanEvent]
        var droppedEvents: Int
        var links: [(context: SpanContext, attributes: SpanAttributes)]
        var droppedLinks: Int
        var status: SpindleModel.SpanStatus
    }
}
