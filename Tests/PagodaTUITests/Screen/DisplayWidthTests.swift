import CNCursesW
import Foundation
import XCTest
@testable import PagodaTUI

final class DisplayWidthTests: XCTestCase {
    /// Every scalar gets the width glibc's `wcwidth` gives it in a UTF-8 locale — the width
    /// ncurses places it with. (Scalars `wcwidth` calls unprintable, -1, are skipped:
    /// controls are never drawn, unassigned ones have no width to agree on.)
    func testScalarWidthsAreWcwidths() throws {
        let saved = String(cString: setlocale(LC_CTYPE, nil))
        guard setlocale(LC_CTYPE, "C.UTF-8") != nil else { throw XCTSkip("needs the C.UTF-8 locale to ask wcwidth") }
        defer { setlocale(LC_CTYPE, saved) }
        var mismatches: [String] = []
        for v in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            // Unassigned and unprintable scalars (wcwidth -1) have no width to agree on.
            let expected = Int(wcwidth(wchar_t(bitPattern: v)))
            if expected < 0 { continue }
            if displayWidth(scalar) != expected { mismatches.append(String(format: "U+%04X: %d, wcwidth %d", v, displayWidth(scalar), expected)) }
        }
        XCTAssertEqual(mismatches.count, 0, "first ones: \(mismatches.prefix(20).joined(separator: "; "))")
    }

    func testCharacterWidthsAreTheSumOfTheirScalars() {
        XCTAssertEqual(displayWidth(Character("a")), 1)
        XCTAssertEqual(displayWidth(Character("e\u{301}")), 1, "a combining accent takes no column")
        XCTAssertEqual(displayWidth(Character("한")), 2)
        XCTAssertEqual(displayWidth(Character("\u{1112}\u{1161}\u{11AB}")), 2, "Hangul written as jamo is one wide syllable")
        XCTAssertEqual(displayWidth(Character("👍🏽")), 4, "hand and skin tone, drawn side by side as tmux and ncurses do")
        XCTAssertEqual(displayWidth(Character("👨‍👩‍👧")), 6, "a joiner sequence is drawn as its three parts")
        XCTAssertEqual(displayWidth(Character("❤️")), 1, "U+2764 is narrow; the variation selector adds nothing")
        XCTAssertEqual(displayWidth("👍🏽 한국어 👨‍👩‍👧"), 4 + 1 + 6 + 1 + 6)
    }

    func testJoinersAreNotSentToTheTerminal() {
        XCTAssertEqual(drawnScalars("👨‍👩‍👧").map(\.value), [0x1F468, 0x1F469, 0x1F467])
        XCTAssertEqual(drawnScalars("👍🏽").map(\.value), [0x1F44D, 0x1F3FD])
        XCTAssertEqual(drawnScalars("e\u{301}").map(\.value), [0x65, 0x301])
    }
}
