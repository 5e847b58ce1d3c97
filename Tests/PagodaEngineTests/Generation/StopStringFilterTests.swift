import XCTest
@testable import PagodaEngine

final class StopStringFilterTests: XCTestCase {
    func testHoldsBackPossibleStartsAndCutsAtTheStop() {
        var f = StopStringFilter(["END", "\n\n"])
        XCTAssertEqual(f.filter("Hello E").0, "Hello ")
        XCTAssertEqual(f.filter("N").0, "")
        let (text, stop) = f.filter("D and more")
        XCTAssertEqual(text, "")
        XCTAssertEqual(stop, "END")
    }

    func testReleasesHeldTextWhenItIsNotAStop() {
        var f = StopStringFilter(["END"])
        XCTAssertEqual(f.filter("x E").0, "x ")
        XCTAssertEqual(f.filter("x").0, "Ex")
        XCTAssertEqual(f.filter("EN").0, "")
        XCTAssertEqual(f.finish(""), "EN")
    }

    func testNoStopsPassesEverything() {
        var f = StopStringFilter([])
        XCTAssertEqual(f.filter("abc").0, "abc")
    }
}
