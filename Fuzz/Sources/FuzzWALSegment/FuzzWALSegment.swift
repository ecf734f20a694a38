import FuzzSupport
import SpindleStore

/// WAL segment parsing, as replay after a crash reads whatever is on disk.
///
/// Properties: parsing any bytes returns (never traps); the valid length lies within the
/// input; the valid prefix parses to the same records with no damage (what replay cuts
/// the file to is itself a clean segment).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parsed = StoreFormatChecks.walSegment(bytes)
    guard parsed.validLength <= bytes.count else { finding("valid length \(parsed.validLength) past the input's \(bytes.count) bytes") }
    guard parsed.validLength >= 16 else { return 0 }
    let again = StoreFormatChecks.walSegment(Array(bytes.prefix(parsed.validLength)))
    if again.damaged { finding("the valid prefix of \(parsed.validLength) bytes is itself damaged") }
    if again.records != parsed.records { finding("the valid prefix parses to \(again.records.count) records, not \(parsed.records.count)") }
    return 0
}
