/// Decides whether an attribute key or a `name=value` parameter name names a secret.
///
/// A name is folded to its lowercase ASCII letters and digits (separators such as `.`,
/// `-`, `_`, spaces and camelCase boundaries disappear): `http.request.header.X-Api-Key`
/// folds to `httprequestheaderxapikey`. It names a secret when it *ends* with a secret
/// name (`apikey`), unless the longest name it ends with is a non-secret one
/// (`next_page_token` ends with `pagetoken`, which wins over `token`). Matching the end
/// keeps look-alikes out: `token_count`, `gen_ai.usage.input_tokens`, `tokenizer`,
/// `author`, `secretariat` and `password_policy.min_length` end with no secret name.
///
/// Hot path: every attribute key of every span goes through ``namesSecret(_:)``. It walks
/// the key backwards through a trie of the reversed names, kept in flat arrays, so most
/// keys are refused after one or two bytes, without allocating, hashing or retaining.
final class SecretNameMatcher: Sendable {
    /// The root's children by byte (-1 for none): the first step, taken for every key.
    private let rootChildren: [Int32]
    /// Per node: where its edges start in `edgeBytes`/`edgeTargets`, and how many.
    private let firstEdge: [Int32]
    private let edgeCount: [Int32]
    /// Per node: 1 when the path from the root spells a secret name (reversed), 0 a
    /// non-secret name, -1 neither.
    private let verdict: [Int8]
    private let edgeBytes: [UInt8]
    private let edgeTargets: [Int32]

    /// `secrets` and `nonSecrets` are names as written (`api-key`); names that fold to
    /// nothing are ignored.
    init(secrets: [String], nonSecrets: [String]) {
        // Built as nested nodes, then flattened.
        var children: [[(byte: UInt8, node: Int32)]] = [[]]
        var verdict: [Int8] = [-1]
        func insert(_ folded: [UInt8], isSecret: Bool) {
            guard !folded.isEmpty else { return }
            var node = 0
            for byte in folded.reversed() {
                if let next = children[node].first(where: { $0.byte == byte })?.node {
                    node = Int(next)
                } else {
                    children.append([])
                    verdict.append(-1)
                    children[node].append((byte, Int32(children.count - 1)))
                    node = children.count - 1
                }
            }
            verdict[node] = isSecret ? 1 : 0
        }
        for name in nonSecrets { insert(Self.fold(name), isSecret: false) }
        // Secrets last: a name given as both stays a secret.
        for name in secrets { insert(Self.fold(name), isSecret: true) }

        var rootChildren = [Int32](repeating: -1, count: 256)
        for child in children[0] { rootChildren[Int(child.byte)] = child.node }
        var firstEdge: [Int32] = []
        var edgeCount: [Int32] = []
        var edgeBytes: [UInt8] = []
        var edgeTargets: [Int32] = []
        for nodeChildren in children {
            firstEdge.append(Int32(edgeBytes.count))
            edgeCount.append(Int32(nodeChildren.count))
            for child in nodeChildren {
                edgeBytes.append(child.byte)
                edgeTargets.append(child.node)
            }
        }
        self.rootChildren = rootChildren
        self.firstEdge = firstEdge
        self.edgeCount = edgeCount
        self.verdict = verdict
        self.edgeBytes = edgeBytes
        self.edgeTargets = edgeTargets
    }

    /// True when the (UTF-8) name names a secret.
    func namesSecret(_ name: UnsafeRawBufferPointer) -> Bool {
        var index = name.count - 1
        var node: Int32 = -1
        var result = false
        while index >= 0 {
            let byte = name[index]
            index -= 1
            guard let folded = Self.foldedByte(byte) else {
                // Non-ASCII bytes never appear in a name: the match ends here.
                if byte >= 0x80 { break }
                continue
            }
            node = node < 0 ? rootChildren[Int(folded)] : child(of: Int(node), byte: folded)
            if node < 0 { break }
            let nodeVerdict = verdict[Int(node)]
            if nodeVerdict >= 0 { result = nodeVerdict == 1 }
        }
        return result
    }

    /// The folded form of a name: its ASCII letters and digits, lowercased.
    static func fold(_ name: String) -> [UInt8] {
        name.utf8.compactMap(foldedByte)
    }

    /// A letter lowercased, a digit as it is; nil for anything else.
    @inline(__always)
    static func foldedByte(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): byte
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte | 0x20
        default: nil
        }
    }

    /// The child of `node` by `byte`, or -1.
    @inline(__always)
    private func child(of node: Int, byte: UInt8) -> Int32 {
        let start = Int(firstEdge[node])
        for edge in start..<(start + Int(edgeCount[node])) where edgeBytes[edge] == byte {
            return edgeTargets[edge]
        }
        return -1
    }
}
