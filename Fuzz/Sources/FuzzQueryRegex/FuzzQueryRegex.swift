import FuzzSupport
import SpindleQuery

/// A regular expression and a text, split at the input's first zero byte (all pattern
/// when there is none), compiled and matched as TraceQL's `=~` does.
///
/// Properties: any pattern compiles or is refused with an offset inside it (never a
/// trap); matching never traps and takes time linear in the text (libFuzzer's timeout
/// catches a runaway); a pattern of letters and digits only matches exactly itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? size
    let pattern = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<split]), as: UTF8.self)
    let text = split < size ? String(decoding: UnsafeBufferPointer(rebasing: bytes[(split + 1)...]), as: UTF8.self) : ""
    let regex: QueryRegex
    do {
        regex = try QueryRegex(pattern)
    } catch {
        guard error.offset >= 0, error.offset <= pattern.utf8.count else {
            finding("offset \(error.offset) outside a pattern of \(pattern.utf8.count) bytes: \(error)")
        }
        return 0
    }
    let matched = regex.matches(text)
    let plain = pattern.unicodeScalars.allSatisfy { ($0.value >= 0x30 && $0.value <= 0x39) || ($0.value >= 0x41 && $0.value <= 0x5A) || ($0.value >= 0x61 && $0.value <= 0x7A) }
    if plain, matched != (pattern == text) {
        finding("literal \(pattern.debugDescription) against \(text.debugDescription): matched \(matched)")
    }
    return 0
}
