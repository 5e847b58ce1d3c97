import Foundation

/// An in-memory grid of cells that views draw into. The terminal copies it to the screen
/// (only what changed); tests read it cell by cell.
///
/// A character `w` columns wide occupies its cell and marks the next `w - 1` as continuations
/// (`nil`); writing over any part of it blanks the rest.
public struct ScreenBuffer: Equatable, Sendable {
    public struct Cell: Equatable, Sendable {
        /// nil for the second column of a wide character.
        public var character: Character?
        public var style: Style
    }

    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Where the terminal cursor goes after drawing (the input line's caret).
    public var cursor: (x: Int, y: Int)? = nil

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(character: " ", style: .plain), count: self.width * self.height)
    }

    public static func == (a: ScreenBuffer, b: ScreenBuffer) -> Bool {
        a.width == b.width && a.height == b.height && a.cells == b.cells && a.cursor?.x == b.cursor?.x && a.cursor?.y == b.cursor?.y
    }

    public subscript(x: Int, y: Int) -> Cell {
        guard x >= 0, y >= 0, x < width, y < height else { return Cell(character: " ", style: .plain) }
        return cells[y * width + x]
    }

    /// Writes `text` from column `x` of row `y`, clipped to the screen and to `maxX`
    /// (exclusive); text that does not fit ends in "…" in its last column, so a cut is never
    /// mistaken for the whole. Returns the column after the last character written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, maxX: Int? = nil) -> Int {
        guard y >= 0, y < height else { return x }
        let limit = min(width, maxX ?? width)
        var column = x
        var lastStart = -1  // where the last character written starts
        for character in text {
            let w = displayWidth(character)
            if w == 0 { continue }
            if column + w > limit {
                // The last column shown becomes the ellipsis (a wide character gives up both).
                let at = column < limit ? column : lastStart
                if at >= 0, at >= x, at < limit {
                    clearOverlaps(x: at, y: y, width: 1)
                    cells[y * width + at] = Cell(character: "…", style: style)
                    if at + 1 < min(width, column) { cells[y * width + at + 1] = Cell(character: " ", style: style) }
                    column = at + 1
                }
                break
            }
            lastStart = column
            if column >= 0 {
                clearOverlaps(x: column, y: y, width: w)
                cells[y * width + column] = Cell(character: character, style: style)
                for continuation in 1..<max(1, w) { cells[y * width + column + continuation] = Cell(character: nil, style: style) }
            }
            column += w
        }
        return column
    }

    /// Before `width` cells from column `x` are written: a character that starts left of
    /// them and reaches in, or starts in them and reaches past, is replaced by spaces, so
    /// no cell is left continuing a character that is gone (the terminal would draw half of
    /// it, or ncurses would write over the new text).
    private mutating func clearOverlaps(x: Int, y: Int, width w: Int) {
        let row = y * width
        var owner = x
        while owner > 0, cells[row + owner].character == nil { owner -= 1 }
        if owner < x, let c = cells[row + owner].character {
            for column in owner..<min(width, owner + max(1, displayWidth(c))) where column < x { cells[row + column] = Cell(character: " ", style: cells[row + column].style) }
        }
        var after = x + w
        while after < width, cells[row + after].character == nil {
            cells[row + after] = Cell(character: " ", style: cells[row + after].style)
            after += 1
        }
    }

    /// Fills a rectangle with spaces in `style`.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, style: Style = .plain) {
        let first = max(0, x), end = min(width, x + w)
        guard first < end else { return }
        for row in max(0, y)..<min(height, y + h) {
            clearOverlaps(x: first, y: row, width: end - first)
            for column in first..<end {
                cells[row * width + column] = Cell(character: " ", style: style)
            }
        }
    }

    /// Row `y` as text (continuation cells skipped).
    public func row(_ y: Int) -> String {
        String((0..<width).compactMap { self[$0, y].character })
    }

    /// The whole screen as lines, trailing spaces removed.
    public var text: String {
        (0..<height).map { row($0).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n")
    }
}
