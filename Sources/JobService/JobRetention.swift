import Foundation

/// How many finished jobs, and how old, the history keeps (`--job-history`):
/// `"500"`, `"7d"`, `"500,7d"`; ages in s, m, h or d. Running jobs are never evicted.
public struct JobRetention: Sendable, Equatable {
    public var count: Int?
    public var maxAge: TimeInterval?

    public init(count: Int? = nil, maxAge: TimeInterval? = nil) {
        self.count = count
        self.maxAge = maxAge
    }

    public init(parsing text: String) throws {
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            if let number = Int(part), number >= 0 {
                count = number
            } else if let unit = part.last, let scale = Self.units[unit], let number = Double(part.dropLast()), number >= 0 {
                maxAge = number * scale
            } else {
                throw JobServiceError.invalidRequest(
                    "--job-history takes a job count and/or an age like 500, 7d or 500,7d (s, m, h, d); got '\(part)'")
            }
        }
    }

    private static let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
}
