/// Terminal columns a character takes: 2 for East Asian wide and fullwidth characters and
/// most emoji, 0 for combining marks and zero-width joiners, 1 otherwise. Measured on the
/// first scalar of the grapheme, as terminals do.
public func displayWidth(_ c: Character) -> Int {
    guard let scalar = c.unicodeScalars.first else { return 0 }
    let v = scalar.value
    if v < 0x20 || v == 0x7F { return 0 }
    if v < 0x300 { return 1 }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .enclosingMark, .format: return 0
    default: break
    }
    switch v {
    case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
         0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
         0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x3FFFD:
        return 2
    default:
        return c.unicodeScalars.contains { $0.properties.isEmojiPresentation } ? 2 : 1
    }
}

/// Columns a string takes.
public func displayWidth(_ s: String) -> Int { s.reduce(0) { $0 + displayWidth($1) } }
