import BeamCore
import Foundation
import Testing
@testable import Execution

@Suite struct SideInputPagingTests {
    @Test func pagesEndBetweenWholeElementsAndCoverEverything() throws {
        let coder = CoderSpec.bytes
        var writer = ByteWriter()
        for index in 0..<3000 {
            try coder.encode(.bytes([UInt8](repeating: UInt8(index % 251), count: 1000)), into: &writer)
        }
        var token = Data()
        var joined = [UInt8]()
        var pages = 0
        repeat {
            let page = try SideInputPaging.page(writer.bytes, elementCoder: coder, continuationToken: token)
            #expect(page.data.count <= SideInputPaging.pageBytes + 1010)
            var reader = ByteReader([UInt8](page.data))
            while !reader.isAtEnd { try coder.skip(&reader) }  // every page holds whole elements
            joined.append(contentsOf: page.data)
            token = page.continuationToken
            pages += 1
        } while !token.isEmpty
        #expect(pages == 3)
        #expect(joined == writer.bytes)
    }

    @Test func smallValuesComeInOnePage() throws {
        let page = try SideInputPaging.page([1, 2, 3], elementCoder: .varint, continuationToken: Data())
        #expect(page.data == Data([1, 2, 3]))
        #expect(page.continuationToken.isEmpty)
    }

    @Test func foreignTokensAreRejected() {
        #expect(throws: (any Error).self) {
            try SideInputPaging.page([1, 2, 3], elementCoder: .varint, continuationToken: Data("99".utf8))
        }
    }
}
