/// Turns a stream of token ids into text without ever emitting part of a UTF-8 sequence:
/// bytes of an unfinished character are held back until the tokens that complete it arrive.
public struct StreamingDetokenizer {
    public let tokenizer: Tokenizer
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// Adds a token and returns the text that is now complete (possibly empty).
    public mutating func append(_ id: TokenID) -> String {
        pending += tokenizer.bytes(of: id)
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// What is held back at the end of a stream, up to the last whole character: the bytes
    /// of a character the stream stopped inside are dropped, so a reply cut at the token
    /// limit never ends in U+FFFD. (Invalid bytes before it still decode to U+FFFD.)
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending[..<Self.completePrefixLength(pending)], as: UTF8.self)
    }

    /// Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence
    /// that could still be completed.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var i = bytes.count - 1
        var continuation = 0
        // Walk back over at most three continuation bytes to the lead byte.
        while i >= 0, continuation < 3, bytes[i] & 0xC0 == 0x80 {
            continuation += 1
            i -= 1
        }
        guard i >= 0 else { return bytes.count }
        let lead = bytes[i]
        let needed: Int
        switch lead {
        case 0xC0...0xDF: needed = 1
        case 0xE0...0xEF: needed = 2
        case 0xF0...0xF7: needed = 3
        default: return bytes.count
        }
        return continuation < needed ? i : bytes.count
    }
}
