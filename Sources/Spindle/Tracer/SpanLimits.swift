/// Bounds on what one span may hold (OpenTelemetry SDK "Span Limits"). What a limit
/// rejects is dropped and counted in the finished span's `dropped*Count` fields.
///
/// - Attributes: once a span holds `attributeCountLimit` keys, new keys are dropped;
///   existing keys can still be updated. String values (and the strings of string
///   arrays) are truncated to `attributeValueLengthLimit` characters; truncation is not
///   counted as a drop.
/// - Events and links: the first `eventCountLimit` / `linkCountLimit` are kept, later
///   ones dropped. Their own attributes are limited by `attributePerEventCountLimit` /
///   `attributePerLinkCountLimit`, keeping the smallest keys in lexicographic order.
public struct SpanLimits: Sendable, Hashable {
    public var attributeCountLimit: Int
    /// Maximum characters of a string value; nil is unlimited (the default).
    public var attributeValueLengthLimit: Int?
    public var eventCountLimit: Int
    public var linkCountLimit: Int
    public var attributePerEventCountLimit: Int
    public var attributePerLinkCountLimit: Int

    /// The specification's defaults: 128 of everything, no value length limit.
    public init(
        attributeCountLimit: Int = 128,
        attributeValueLengthLimit: Int? = nil,
        eventCountLimit: Int = 128,
        linkCountLimit: Int = 128,
        attributePerEventCountLimit: Int = 128,
        attributePerLinkCountLimit: Int = 128
    ) {
        self.attributeCountLimit = attributeCountLimit
        self.attributeValueLengthLimit = attributeValueLengthLimit
        self.eventCountLimit = eventCountLimit
        self.linkCountLimit = linkCountLimit
        self.attributePerEventCountLimit = attributePerEventCountLimit
        self.attributePerLinkCountLimit = attributePerLinkCountLimit
    }
}
