/// Splits text into the pieces a byte-level BPE tokenizer encodes one by one, as the model's
/// `tokenizer.ggml.pre` names it. Each pre-tokenizer is a list of stages applied in turn, each
/// splitting every piece of the previous stage further (llama.cpp's `regex_exprs`). The
/// common GPT-2 and Llama-3 style patterns run as hand-written scanners (fast, and with
/// llama.cpp's exact behaviour); the rest run through `SplitRegex`.
public struct PreTokenizer: Sendable {
    public enum Stage: Sendable {
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
        case gpt2
        /// Llama 3 / Qwen 2 family: case-insensitive contractions,
        /// `[^\r\n\p{L}\p{N}]?\p{L}+`, `\p{N}{1,maxDigits}`, ` ?[^\s\p{L}\p{N}]+[\r\n]*`,
        /// `\s*[\r\n]+`, `\s+(?!\S)`, `\s+`. With `marksAreLetters` (Qwen 3.5), `\p{M}` counts
        /// with the letters.
        case llama3(maxDigits: Int, marksAreLetters: Bool)
        case regex(SplitRegex)
    }

    public let name: String
    public let stages: [Stage]

    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#

    /// The pre-tokenizer named `name` (`tokenizer.ggml.pre`); nil if Pagoda does not know it.
    public static func named(_ name: String) -> PreTokenizer? {
        func regexes(_ patterns: [String]) -> [Stage] {
            patterns.map { $0 == gpt2Pattern ? .gpt2 : .regex(try! SplitRegex($0)) }
        }
        let stages: [Stage]
        switch name {
        case "default", "gpt-2", "gpt2", "mpt", "olmo", "jais", "trillion", "granite-docling":
            stages = [.gpt2]
        case "llama3", "llama-bpe", "llama-v3", "dbrx", "smaug-bpe", "falcon3", "pixtral", "midm-2.0", "lfm2":
            stages = [.llama3(maxDigits: 3, marksAreLetters: false)]
        case "qwen2", "stablelm2", "hunyuan", "solar-open", "deepseek-r1-qwen", "megrez":
            stages = [.llama3(maxDigits: 1, marksAreLetters: false)]
        case "qwen35":
            stages = [.llama3(maxDigits: 1, marksAreLetters: true)]
        case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b":
            stages = regexes([#"\p{N}"#, gpt2Pattern])
        case "falcon":
            stages = regexes([#"[\p{P}\$\+<=>\^~\|`]+"#, gpt2Pattern, "[0-9][0-9][0-9]"])
        case "deepseek-llm":
            // Exact code points (no literal non-ASCII: editors may normalize it).
            stages = regexes([
                "[\r\n]",
                "\\s?[A-Za-z\u{b5}\u{c0}-\u{d6}\u{d8}-\u{f6}\u{f8}-\u{1ba}\u{1bc}-\u{1bf}\u{1c4}-\u{293}\u{295}-\u{2af}\u{370}-\u{373}\u{376}\u{377}\u{37b}-\u{37d}\u{37f}\u{386}\u{388}-\u{38a}\u{38c}\u{38e}-\u{3a1}\u{3a3}-\u{3f5}\u{3f7}-\u{481}\u{48a}-\u{52f}\u{531}-\u{556}\u{10a0}-\u{10c5}\u{13a0}-\u{13f5}\u{13f8}-\u{13fd}\u{1c90}-\u{1cba}\u{1cbd}-\u{1cbf}\u{1d00}-\u{1d2b}\u{1d6b}-\u{1d77}\u{1d79}-\u{1d9a}\u{1e00}-\u{1f15}\u{1f18}-\u{1f1d}\u{1f20}-\u{1f45}\u{1f48}-\u{1f4d}\u{1f50}-\u{1f57}\u{1f59}\u{1f5b}\u{1f5d}\u{1f5f}-\u{1f7d}\u{1f80}-\u{1fb4}\u{1fb6}-\u{1fbc}\u{1fbe}\u{1fc2}-\u{1fc4}\u{1fc6}-\u{1fcc}\u{1fd0}-\u{1fd3}\u{1fd6}-\u{1fdb}\u{1fe0}-\u{1fec}\u{1ff2}-\u{1ff4}\u{1ff6}-\u{1ffc}\u{2102}\u{2107}\u{210a}-\u{2113}\u{2115}\u{2119}-\u{211d}\u{2124}\u{2126}\u{2128}\u{212a}-\u{212d}\u{212f}-\u{2134}\u{2139}\u{213c}-\u{213f}\u{2145}-\u{2149}\u{214e}\u{2183}\u{2184}\u{2c00}-\u{2c7b}\u{2c7e}-\u{2ce4}\u{2ceb}-\u{2cee}\u{2cf2}\u{2cf3}\u{a640}-\u{a66d}\u{a680}-\u{a69b}\u{a722}-\u{a76f}\u{a771}-\u{a787}\u{a78b}-\u{a78e}\u{ab70}-\u{abbf}\u{fb00}-\u{fb06}\u{fb13}-\u{fb17}\u{ff21}-\u{ff3a}\u{ff41}-\u{ff5a}\u{10400}-\u{1044f}\u{104b0}-\u{104d3}\u{104d8}-\u{104fb}\u{10c80}-\u{10cb2}\u{10cc0}-\u{10cf2}\u{118a0}-\u{118df}\u{1e900}-\u{1e943}]+",
                "\\s?[!-/:-~\u{ff01}-\u{ff0f}\u{ff1a}-\u{ff5e}\u{2018}-\u{201f}\u{3000}-\u{3002}]+",
                "\\s+$",
                "[\u{4e00}-\u{9fa5}\u{800}-\u{4e00}\u{ac00}-\u{d7ff}]+",
                "\\p{N}+",
            ])
        case "deepseek-coder":
            stages = regexes(["[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\u{4e00}-\u{9fa5}\u{800}-\u{4e00}\u{ac00}-\u{d7ff}]+", "\\p{N}"])
        default:
            return nil
        }
        return PreTokenizer(name: name, stages: stages)
    }

    /// The pieces of `text` (code points), as consecutive lengths.
    public func split(_ text: [UInt32]) -> [Int] {
        var pieces = [text.count]
        for stage in stages {
            var next: [Int] = []
            next.reserveCapacity(pieces.count * 2)
            var start = 0
            for length in pieces {
                let range = start..<(start + length)
                switch stage {
                case .gpt2: Self.splitGPT2(text, range, into: &next)
                case .llama3(let digits, let marks): Self.splitLlama3(text, range, maxDigits: digits, marksAreLetters: marks, into: &next)
                case .regex(let regex): regex.split(text, range, into: &next)
                }
                start += length
            }
            pieces = next
        }
        return pieces.filter { $0 > 0 }
    }

    // MARK: - Scanners

    /// Length of an English contraction (`'s 't 'm 'd 're 've 'll`) at `pos`, if one starts there.
    static func contractionLength(_ s: [UInt32], _ pos: Int, _ r: Range<Int>, caseInsensitive: Bool) -> Int? {
        guard s[pos] == 0x27, pos + 1 < r.upperBound else { return nil }
        func at(_ i: Int) -> UInt32 { caseInsensitive ? s[i].lowercasedCodepoint : s[i] }
        let n = at(pos + 1)
        if n == 0x73 || n == 0x74 || n == 0x6D || n == 0x64 { return 2 }  // s t m d
        guard pos + 2 < r.upperBound else { return nil }
        let nn = at(pos + 2)
        if (n == 0x72 && nn == 0x65) || (n == 0x76 && nn == 0x65) || (n == 0x6C && nn == 0x6C) { return 3 }  // re ve ll
        return nil
    }

    /// The GPT-2 pattern, scanned by hand (llama.cpp's `unicode_regex_split_custom_gpt2`).
    static func splitGPT2(_ s: [UInt32], _ r: Range<Int>, into pieces: inout [Int]) {
        let scan = FragmentScan(s, r)
        func cls(_ i: Int) -> CodepointClass { scan.classes(i) }
        func cp(_ i: Int) -> UInt32? { scan.codepoint(i) }
        var previous = r.lowerBound
        func emit(_ end: Int) { scan.emit(end, after: &previous, into: &pieces) }
        var pos = r.lowerBound
        while pos < r.upperBound {
            let c = s[pos]
            // 's|'t|'re|'ve|'m|'ll|'d
            if let n = contractionLength(s, pos, r, caseInsensitive: false) { pos += n; emit(pos); continue }
            var f = c == 0x20 ? cls(pos + 1) : cls(pos)
            //  ?\p{L}+
            if f.contains(.letter) {
                if c == 0x20 { pos += 1 }
                while f.contains(.letter) { pos += 1; f = cls(pos) }
                emit(pos); continue
            }
            //  ?\p{N}+
            if f.contains(.number) {
                if c == 0x20 { pos += 1 }
                while f.contains(.number) { pos += 1; f = cls(pos) }
                emit(pos); continue
            }
            //  ?[^\s\p{L}\p{N}]+
            if f.isDisjoint(with: [.whitespace, .letter, .number]), !f.isEmpty {
                if c == 0x20 { pos += 1 }
                while f.isDisjoint(with: [.whitespace, .letter, .number]), !f.isEmpty { pos += 1; f = cls(pos) }
                emit(pos); continue
            }
            var spaces = 0
            while cls(pos + spaces).contains(.whitespace) { spaces += 1 }
            // \s+(?!\S)
            if spaces > 1, cp(pos + spaces) != nil { pos += spaces - 1; emit(pos); continue }
            // \s+
            if spaces > 0 { pos += spaces; emit(pos); continue }
            pos += 1
            emit(pos)
        }
    }

    /// The Llama 3 family pattern, scanned by hand (llama.cpp's `unicode_regex_split_custom_llama3`
    /// and its Qwen variants).
    static func splitLlama3(_ s: [UInt32], _ r: Range<Int>, maxDigits: Int, marksAreLetters: Bool, into pieces: inout [Int]) {
        let word: CodepointClass = marksAreLetters ? [.letter, .mark] : .letter
        let notPunct = CodepointClass([.whitespace, .number]).union(word)
        let scan = FragmentScan(s, r)
        func cls(_ i: Int) -> CodepointClass { scan.classes(i) }
        func cp(_ i: Int) -> UInt32? { scan.codepoint(i) }
        var previous = r.lowerBound
        func emit(_ end: Int) { scan.emit(end, after: &previous, into: &pieces) }
        var pos = r.lowerBound
        while pos < r.upperBound {
            let c = s[pos]
            let f = CodepointClass.of(c)
            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            if let n = contractionLength(s, pos, r, caseInsensitive: true) { pos += n; emit(pos); continue }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if !(c == 0x0D || c == 0x0A || f.contains(.number)) {
                if !f.isDisjoint(with: word) || !cls(pos + 1).isDisjoint(with: word) {
                    pos += 1
                    while !cls(pos).isDisjoint(with: word) { pos += 1 }
                    emit(pos); continue
                }
            }
            // \p{N}{1,maxDigits}
            if f.contains(.number) {
                var start = pos
                while cls(pos).contains(.number) {
                    pos += 1
                    if pos - start >= maxDigits { emit(pos); start = pos }
                }
                emit(pos); continue
            }
            //  ?[^\s\p{L}\p{N}]+[\r\n]*
            var f2 = c == 0x20 ? cls(pos + 1) : f
            if f2.isDisjoint(with: notPunct), !f.isEmpty {
                if c == 0x20 { pos += 1 }
                while f2.isDisjoint(with: notPunct), !f2.isEmpty { pos += 1; f2 = cls(pos) }
                while let d = cp(pos), d == 0x0D || d == 0x0A { pos += 1 }
                emit(pos); continue
            }
            var spaces = 0
            var lastNewlineEnd = 0
            while cls(pos + spaces).contains(.whitespace) {
                let d = s[pos + spaces]
                if d == 0x0D || d == 0x0A { lastNewlineEnd = pos + spaces + 1 }
                spaces += 1
            }
            // \s*[\r\n]+
            if lastNewlineEnd > 0 { pos = lastNewlineEnd; emit(pos); continue }
            // \s+(?!\S)
            if spaces > 1, cp(pos + spaces) != nil { pos += spaces - 1; emit(pos); continue }
            // \s+
            if spaces > 0 { pos += spaces; emit(pos); continue }
            pos += 1
            emit(pos)
        }
    }
}

/// Reading one fragment of code points for the hand-written scanners: out-of-range
/// positions have no classes and no code point, and pieces are emitted as lengths from the
/// end of the previous one (empty pieces are skipped).
struct FragmentScan {
    let s: [UInt32]
    let r: Range<Int>

    init(_ s: [UInt32], _ r: Range<Int>) {
        self.s = s
        self.r = r
    }

    @inline(__always) func classes(_ i: Int) -> CodepointClass { r.contains(i) ? CodepointClass.of(s[i]) : [] }
    @inline(__always) func codepoint(_ i: Int) -> UInt32? { r.contains(i) ? s[i] : nil }

    @inline(__always) func emit(_ end: Int, after previous: inout Int, into pieces: inout [Int]) {
        if end > previous { pieces.append(end - previous) }
        previous = end
    }
}
