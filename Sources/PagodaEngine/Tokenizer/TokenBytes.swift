/// A token's text as the bytes it is made of: the key the vocabulary is looked up by.
/// Tokens are byte strings, not Swift `String`s: two canonically equivalent texts (a
/// precomposed and a decomposed accent) are equal `String`s but different tokens.
/// Hashes the bytes in one call.
struct TokenBytes: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ text: String) { bytes = Array(text.utf8) }
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = Array(bytes) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
