/// The named character classes of RE2 syntax: Perl escapes (`\d`), POSIX brackets
/// (`[:alpha:]`) and Unicode general categories (`\pL`, `\p{Lu}`).
///
/// As in RE2, the Perl and POSIX classes are ASCII-only: `\w` is `[0-9A-Za-z_]`, `\s`
/// is `[\t\n\f\r ]`, `\d` is `[0-9]`.
enum RegexClasses {
    /// A class and whether it is negated (`\D`, `[:^alpha:]`, `\PL`).
    struct Named {
        var set: ScalarSet
        var negated: Bool
    }

    static let digit = ScalarSet([0x30...0x39])
    static let word = ScalarSet([0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F...0x5F])
    static let space = ScalarSet([0x09...0x0A, 0x0C...0x0D, 0x20...0x20])

    /// The class of a Perl escape letter (`d`, `D`, `s`, `S`, `w`, `W`), or nil.
    static func perl(_ letter: Unicode.Scalar) -> Named? {
        switch letter {
        case "d": Named(set: digit, negated: false)
        case "D": Named(set: digit, negated: true)
        case "s": Named(set: space, negated: false)
        case "S": Named(set: space, negated: true)
        case "w": Named(set: word, negated: false)
        case "W": Named(set: word, negated: true)
        default: nil
        }
    }

    /// The class named inside `[:` `:]`, with an optional leading `^`; nil when unknown.
    static func posix(_ name: String) -> Named? {
        let negated = name.hasPrefix("^")
        let bare = negated ? String(name.dropFirst()) : name
        let ranges: [ClosedRange<UInt32>]
        switch bare {
        case "alnum": ranges = [0x30...0x39, 0x41...0x5A, 0x61...0x7A]
        case "alpha": ranges = [0x41...0x5A, 0x61...0x7A]
        case "ascii": ranges = [0x00...0x7F]
        case "blank": ranges = [0x09...0x09, 0x20...0x20]
        case "cntrl": ranges = [0x00...0x1F, 0x7F...0x7F]
        case "digit": ranges = [0x30...0x39]
        case "graph": ranges = [0x21...0x7E]
        case "lower": ranges = [0x61...0x7A]
        case "print": ranges = [0x20...0x7E]
        case "punct": ranges = [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E]
        case "space": ranges = [0x09...0x0D, 0x20...0x20]
        case "upper": ranges = [0x41...0x5A]
        case "word": ranges = [0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F...0x5F]
        case "xdigit": ranges = [0x30...0x39, 0x41...0x46, 0x61...0x66]
        default: return nil
        }
        return Named(set: ScalarSet(ranges), negated: negated)
    }

    /// The Unicode class `name` as written in `\p{name}` (`L`, `Lu`, `Any`, `ASCII`, …);
    /// nil when unknown. Scripts (`Greek`) are not supported: the standard library
    /// does not expose them.
    static func unicode(_ name: String) -> ScalarSet? {
        switch name {
        case "Any": return .all
        case "ASCII": return ScalarSet([0x00...0x7F])
        case "LC": return categorySet(["Lu", "Ll", "Lt"])
        default:
            guard let members = categoryGroups[name] else { return nil }
            return categorySet(members)
        }
    }

    /// Each accepted category name and the two-letter categories it stands for. As in
    /// RE2, `C` leaves out unassigned code points (`Cn`).
    private static let categoryGroups: [String: [String]] = {
        var groups: [String: [String]] = [:]
        for name in GeneralCategories.allNames { groups[name] = [name] }
        groups["L"] = ["Lu", "Ll", "Lt", "Lm", "Lo"]
        groups["M"] = ["Mn", "Mc", "Me"]
        groups["N"] = ["Nd", "Nl", "No"]
        groups["P"] = ["Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"]
        groups["S"] = ["Sm", "Sc", "Sk", "So"]
        groups["Z"] = ["Zs", "Zl", "Zp"]
        groups["C"] = ["Cc", "Cf", "Cs", "Co"]
        return groups
    }()

    private static func categorySet(_ names: [String]) -> ScalarSet {
        var ranges: [ClosedRange<UInt32>] = []
        for name in names { ranges += GeneralCategories.table.ranges[name] ?? [] }
        return ScalarSet(ranges)
    }
}

/// The code point ranges of each two-letter Unicode general category, from the
/// standard library's scalar properties. Built once per process, on the first `\p`.
struct GeneralCategories: Sendable {
    static let table = GeneralCategories()

    static let allNames = [
        "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No",
        "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So",
        "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn",
    ]

    let ranges: [String: [ClosedRange<UInt32>]]

    private init() {
        var ranges: [String: [ClosedRange<UInt32>]] = [:]
        var runStart: UInt32 = 0
        var runName = ""
        for value in UInt32(0)...ScalarSet.maxCodePoint {
            // Surrogate code points are no scalars; they are category Cs.
            let name = Unicode.Scalar(value).map { Self.name(of: $0.properties.generalCategory) } ?? "Cs"
            if name != runName {
                if value > 0 { ranges[runName, default: []].append(runStart...(value - 1)) }
                runStart = value
                runName = name
            }
        }
        ranges[runName, default: []].append(runStart...ScalarSet.maxCodePoint)
        self.ranges = ranges
    }

    private static func name(of category: Unicode.GeneralCategory) -> String {
        switch category {
        case .uppercaseLetter: "Lu"
        case .lowercaseLetter: "Ll"
        case .titlecaseLetter: "Lt"
        case .modifierLetter: "Lm"
        case .otherLetter: "Lo"
        case .nonspacingMark: "Mn"
        case .spacingMark: "Mc"
        case .enclosingMark: "Me"
        case .decimalNumber: "Nd"
        case .letterNumber: "Nl"
        case .otherNumber: "No"
        case .connectorPunctuation: "Pc"
        case .dashPunctuation: "Pd"
        case .openPunctuation: "Ps"
        case .closePunctuation: "Pe"
        case .initialPunctuation: "Pi"
        case .finalPunctuation: "Pf"
        case .otherPunctuation: "Po"
        case .mathSymbol: "Sm"
        case .currencySymbol: "Sc"
        case .modifierSymbol: "Sk"
        case .otherSymbol: "So"
        case .spaceSeparator: "Zs"
        case .lineSeparator: "Zl"
        case .paragraphSeparator: "Zp"
        case .control: "Cc"
        case .format: "Cf"
        case .surrogate: "Cs"
        case .privateUse: "Co"
        case .unassigned: "Cn"
        @unknown default: "Cn"
        }
    }
}
