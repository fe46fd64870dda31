import Foundation
import JobService
import Testing

@Suite struct ArtifactStoreTests {
    @Test(arguments: [
        ("requirements.txt", "requirements.txt", false),
        ("../../etc/passwd", "passwd", true),
        ("/abs/path/pickled_main_session", "pickled_main_session", true),
        ("..", "artifact", true),
        ("a\\..\\b.whl", "b.whl", true),
        ("bad\u{0}name", "badname", true),
        ("", "artifact", true),
    ])
    func sanitizesStagedNames(input: String, expected: String, changed: Bool) {
        let result = ArtifactStore.sanitize(input)
        #expect(result.name == expected)
        #expect(result.changed == changed)
    }

    @Test func writesInsideTheJobFolderWithItsHash() throws {
        let store = try ArtifactStore.temporary()
        defer { try? FileManager.default.removeItem(at: store.root) }
        var writer = try store.makeWriter(jobID: "job_1", index: 0, name: "../../escape.txt")
        try writer.write(Data("abc".utf8))
        let digest = try writer.finish()
        #expect(digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(store.contains(path: writer.url.path))
        #expect(writer.url.deletingLastPathComponent().lastPathComponent == "job_1")
        #expect(!store.contains(path: store.root.path + "/../outside"))
        #expect(!store.contains(path: "/etc/passwd"))
    }
}
