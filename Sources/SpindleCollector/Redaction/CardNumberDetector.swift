/// Finds payment card numbers (ISO/IEC 7812 primary account numbers) in a string.
///
/// A candidate is a run of 13–19 digits, optionally in groups separated by one space or
/// dash (`4111 1111 1111 1111`, `3782-822463-10005`), standing alone: no letter, digit
/// or decimal point right before or after it. It is a card number when its prefix and
/// length are a card scheme's and its check digit is right (Luhn, ISO/IEC 7812-1
/// Annex B). The prefix check keeps timestamps (which begin with `1`) and most other
/// long numbers out; Luhn keeps out nine in ten of the rest.
///
/// | prefix | scheme | lengths |
/// | --- | --- | --- |
/// | 4 | Visa | 13, 16, 19 |
/// | 51–55, 2221–2720 | Mastercard | 16 |
/// | 34, 37 | American Express | 15 |
/// | 300–305, 3095, 36, 38, 39 | Diners Club | 14–19 |
/// | 3528–3589 | JCB | 16–19 |
/// | 6011, 644–649, 65 | Discover | 16–19 |
/// | 62 | UnionPay | 16–19 |
/// | 50, 56–69 | Maestro | 13–19 |
enum CardNumberDetector {
    /// Calls `found` with the range of each card number in `bytes`.
    static func scan(_ bytes: UnsafeRawBufferPointer, _ found: (Range<Int>) -> Void) {
        var index = 0
        while index < bytes.count {
            guard bytes[index].isASCIIDigit, isBoundary(bytes, before: index) else {
                index += 1
                continue
            }
            let (runEnd, digits) = run(bytes, from: index)
            if digits >= 13, isBoundary(bytes, after: runEnd) {
                scanGroups(bytes, groups(bytes, index..<runEnd), found)
            }
            index = runEnd
        }
    }

    /// The end of the run of digit groups joined by single spaces or dashes that starts at
    /// `start`, and its digit count. Counting first keeps short numbers from allocating.
    private static func run(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, digits: Int) {
        var position = start
        var digits = 0
        while true {
            while position < bytes.count, bytes[position].isASCIIDigit {
                position += 1
                digits += 1
            }
            guard digits <= 64, position + 1 < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "-"),
                bytes[position + 1].isASCIIDigit
            else { return (position, digits) }
            position += 1
        }
    }

    /// The digit groups of a run: where each starts and ends, and the digits up to its end.
    /// Group boundaries are where a card number inside a longer run may start or end.
    private static func groups(_ bytes: UnsafeRawBufferPointer, _ run: Range<Int>) -> [(start: Int, end: Int, digits: Int)] {
        var groups: [(start: Int, end: Int, digits: Int)] = []
        var position = run.lowerBound
        var digits = 0
        while position < run.upperBound {
            let start = position
            while position < run.upperBound, bytes[position].isASCIIDigit { position += 1 }
            digits += position - start
            groups.append((start, position, digits))
            position += 1
        }
        return groups
    }

    /// Tries the groups from the first on: at each group, the longest span of whole
    /// groups that is a card number is taken.
    private static func scanGroups(_ bytes: UnsafeRawBufferPointer, _ groups: [(start: Int, end: Int, digits: Int)], _ found: (Range<Int>) -> Void) {
        var first = 0
        while first < groups.count {
            let digitsBefore = first == 0 ? 0 : groups[first - 1].digits
            var taken: Int?
            for last in stride(from: groups.count - 1, through: first, by: -1) {
                let count = groups[last].digits - digitsBefore
                if (13...19).contains(count), isCardNumber(bytes, groups[first].start..<groups[last].end, digitCount: count) {
                    taken = last
                    break
                }
            }
            if let taken {
                found(groups[first].start..<groups[taken].end)
                first = taken + 1
            } else {
                first += 1
            }
        }
    }

    private static func isBoundary(_ bytes: UnsafeRawBufferPointer, before index: Int) -> Bool {
        guard index > 0 else { return true }
        let previous = bytes[index - 1]
        if previous.isASCIIAlphanumeric { return false }
        // A decimal fraction's digits: `0.4111111111111111`.
        if previous == UInt8(ascii: "."), index >= 2, bytes[index - 2].isASCIIDigit { return false }
        return true
    }

    private static func isBoundary(_ bytes: UnsafeRawBufferPointer, after end: Int) -> Bool {
        guard end < bytes.count else { return true }
        let next = bytes[end]
        if next.isASCIIAlphanumeric { return false }
        if next == UInt8(ascii: "."), end + 1 < bytes.count, bytes[end + 1].isASCIIDigit { return false }
        return true
    }

    /// The digits in `range` (separators skipped) have a scheme's prefix and length and a
    /// valid Luhn check digit.
    static func isCardNumber(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, digitCount: Int) -> Bool {
        var prefix = 0
        var prefixDigits = 0
        var sum = 0
        // Luhn from the right: every second digit, counting the check digit as the first,
        // is doubled.
        var doubled = false
        var index = range.upperBound - 1
        while index >= range.lowerBound {
            let byte = bytes[index]
            index -= 1
            guard byte.isASCIIDigit else { continue }
            var digit = Int(byte - UInt8(ascii: "0"))
            if doubled {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
            doubled.toggle()
        }
        guard sum % 10 == 0 else { return false }
        for byte in bytes[range] where byte.isASCIIDigit && prefixDigits < 4 {
            prefix = prefix * 10 + Int(byte - UInt8(ascii: "0"))
            prefixDigits += 1
        }
        return schemeAllows(prefix4: prefix, length: digitCount)
    }

    /// `prefix4` is the first four digits.
    private static func schemeAllows(prefix4: Int, length: Int) -> Bool {
        let prefix1 = prefix4 / 1000
        let prefix2 = prefix4 / 100
        let prefix3 = prefix4 / 10
        switch prefix1 {
        case 4:
            return length == 13 || length == 16 || length == 19
        case 2:
            return (2221...2720).contains(prefix4) && length == 16
        case 3:
            if prefix2 == 34 || prefix2 == 37 { return length == 15 }
            if (3528...3589).contains(prefix4) { return length >= 16 }
            if (300...305).contains(prefix3) || prefix4 == 3095 || prefix2 == 36 || prefix2 == 38 || prefix2 == 39 { return length >= 14 }
            return false
        case 5:
            if (51...55).contains(prefix2) { return length == 16 }
            return prefix2 == 50 || prefix2 >= 56
        case 6:
            // Discover, UnionPay and Maestro between them cover every 6x prefix.
            return true
        default:
            return false
        }
    }
}
