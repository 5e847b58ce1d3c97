import XCTest
@testable import PagodaEngine

final class BlockQueueTests: XCTestCase {
    func testAppendPopAndRemoveFromTheMiddle() {
        var q = BlockQueue(capacity: 8)
        for b in [3, 1, 4, 6, 5] { q.append(b) }
        XCTAssertEqual(q.elements, [3, 1, 4, 6, 5])
        q.remove(4)
        q.remove(3)
        q.remove(5)
        XCTAssertEqual(q.elements, [1, 6])
        XCTAssertEqual(q.popFirst(), 1)
        q.append(3)
        XCTAssertEqual(q.elements, [6, 3])
        XCTAssertEqual(q.count, 2)
        XCTAssertTrue(q.contains(6))
        XCTAssertFalse(q.contains(1))
        XCTAssertEqual(q.popFirst(), 6)
        XCTAssertEqual(q.popFirst(), 3)
        XCTAssertNil(q.popFirst())
    }
}
