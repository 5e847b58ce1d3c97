/// The character classes pre-tokenizers ask about, per Unicode code point: the general
/// category groups behind `\p{L}`, `\p{N}`, `\p{P}`, `\p{M}`, `\p{S}`, and whitespace as
/// llama.cpp defines it (Unicode White_Space: `\t…\r`, space, U+0085, U+00A0, U+1680,
/// U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
public struct CodepointClass: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let undefined = CodepointClass(rawValue: 1 << 0)
    public static let number = CodepointClass(rawValue: 1 << 1)
    public static let letter = CodepointClass(rawValue: 1 << 2)
    public static let separator = CodepointClass(rawValue: 1 << 3)
    public static let mark = CodepointClass(rawValue: 1 << 4)
    public static let punctuation = CodepointClass(rawValue: 1 << 5)
    public static let symbol = CodepointClass(rawValue: 1 << 6)
    public static let control = CodepointClass(rawValue: 1 << 7)
    public static let whitespace = CodepointClass(rawValue: 1 << 8)
    public static let uppercase = CodepointClass(rawValue: 1 << 9)
    public static let lowercase = CodepointClass(rawValue: 1 << 10)

    /// Classes of every Basic Multilingual Plane code point, computed once (128 KiB).
    private static let bmp: [UInt16] = (0..<0x10000).map { compute(UInt32($0)).rawValue }

    /// The classes of `codepoint`; `undefined` for unassigned code points and surrogates.
    @inline(__always)
    public static func of(_ codepoint: UInt32) -> CodepointClass {
        codepoint < 0x10000 ? CodepointClass(rawValue: bmp[Int(codepoint)]) : compute(codepoint)
    }

    private static func compute(_ cp: UInt32) -> CodepointClass {
        guard let scalar = Unicode.Scalar(cp) else { return .undefined }
        var flags: CodepointClass
        switch scalar.properties.generalCategory {
        case .uppercaseLetter: flags = [.letter, .uppercase]
        case .lowercaseLetter: flags = [.letter, .lowercase]
        case .titlecaseLetter, .modifierLetter, .otherLetter: flags = .letter
        case .nonspacingMark, .spacingMark, .enclosingMark: flags = .mark
        case .decimalNumber, .letterNumber, .otherNumber: flags = .number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: flags = .punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: flags = .symbol
        case .spaceSeparator, .lineSeparator, .paragraphSeparator: flags = .separator
        case .control, .format, .surrogate, .privateUse: flags = .control
        case .unassigned: flags = .undefined
        @unknown default: flags = .undefined
        }
        if isWhitespace(cp) { flags.insert(.whitespace) }
        return flags
    }

    static func isWhitespace(_ cp: UInt32) -> Bool {
        switch cp {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }
}

extension UInt32 {
    /// Simple lowercase of one code point (the first scalar of its lowercase mapping).
    var lowercasedCodepoint: UInt32 {
        guard let scalar = Unicode.Scalar(self) else { return self }
        return scalar.properties.lowercaseMapping.unicodeScalars.first?.value ?? self
    }
}
