/// A password policy: a length and charset rules, each with a minimum count (OpenBao's `sys/policies/password`).
///
/// Every character is drawn uniformly from the union of the rules' charsets with the system's secure random
/// generator; a draw that misses a rule's minimum is discarded and drawn again, so the result is uniform over all
/// passwords that satisfy every rule (unless the minimums are so unlikely that ``generate(using:attempts:)`` builds
/// the password instead).
public struct PasswordPolicy: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        /// The characters of the rule, each once, in first-seen order.
        public var charset: [Character]
        public var minChars: Int

        public init(charset: String, minChars: Int) {
            var seen = Set<Character>()
            self.charset = charset.filter { seen.insert($0).inserted }
            self.minChars = minChars
        }
    }

    public var length: Int
    public var rules: [Rule]

    public init(length: Int, rules: [Rule]) {
        self.length = length
        self.rules = rules
    }

    /// OpenBao's default generator: 20 characters of a-z, A-Z, 0-9 and `-`, at least one of each kind.
    public static let `default` = PasswordPolicy(
        length: 20,
        rules: [
            Rule(charset: "abcdefghijklmnopqrstuvwxyz", minChars: 1),
            Rule(charset: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", minChars: 1),
            Rule(charset: "0123456789", minChars: 1),
            Rule(charset: "-", minChars: 1),
        ])

    /// The union of the rules' charsets, each character once.
    public var charset: [Character] {
        var seen = Set<Character>()
        return rules.flatMap(\.charset).filter { seen.insert($0).inserted }
    }

    /// Draws passwords until one satisfies every rule, at most `attempts` times; when no draw did (rules whose
    /// minimums a uniform draw rarely meets, such as 5 of one character among 60), builds one instead: each rule's
    /// minimum drawn from its own charset, the rest from the union, shuffled.
    ///
    /// - Throws: ``LogicalError`` `unable to generate password` when the charset is empty or the rules cannot be met
    ///   (a rule with a minimum but no characters, or minimums that add up to more than the length).
    public func generate<R: RandomNumberGenerator>(using rng: inout R, attempts: Int = 100) throws -> String {
        let chars = charset
        guard !chars.isEmpty, length > 0 else { throw LogicalError.internalError("unable to generate password: no charset") }
        let sets = rules.map { Set($0.charset) }
        for _ in 0..<max(1, attempts) {
            var password = [Character]()
            password.reserveCapacity(length)
            for _ in 0..<length { password.append(chars[Int.random(in: 0..<chars.count, using: &rng)]) }
            if satisfies(password, sets) { return String(password) }
        }
        var password = [Character]()
        for rule in rules where rule.minChars > 0 {
            guard !rule.charset.isEmpty, password.count + rule.minChars <= length else {
                throw LogicalError.internalError("unable to generate password: the rules cannot be met")
            }
            for _ in 0..<rule.minChars { password.append(rule.charset[Int.random(in: 0..<rule.charset.count, using: &rng)]) }
        }
        while password.count < length { password.append(chars[Int.random(in: 0..<chars.count, using: &rng)]) }
        password.shuffle(using: &rng)
        return String(password)
    }

    /// A password from the system's secure random generator.
    public func generate() throws -> String {
        var rng = SystemRandomNumberGenerator()
        return try generate(using: &rng)
    }

    /// Whether the password holds at least `minChars` characters of every rule's charset.
    public func satisfiesRules<C: Collection>(_ password: C) -> Bool where C.Element == Character {
        satisfies(password, rules.map { Set($0.charset) })
    }

    private func satisfies<C: Collection>(_ password: C, _ sets: [Set<Character>]) -> Bool where C.Element == Character {
        zip(rules, sets).allSatisfy { rule, set in
            rule.minChars <= 0 || password.lazy.filter { set.contains($0) }.count >= rule.minChars
        }
    }
}

/// Generates passwords for an engine: from a named password policy (`sys/policies/password/NAME`), or from
/// ``PasswordPolicy/default`` when no name is given. The core provides it through ``EngineConfiguration``.
public protocol PasswordSource: Sendable {
    /// - Throws: ``LogicalError`` when the named policy does not exist or cannot produce a password.
    func generatePassword(policy name: String?) async throws -> String
}

/// The source an engine gets when the core provides none (tests): only the default policy; any name is refused.
public struct DefaultPasswordSource: PasswordSource {
    public init() {}
    public func generatePassword(policy name: String?) async throws -> String {
        if let name, !name.isEmpty { throw LogicalError.invalidRequest("password policy \(name) does not exist") }
        return try PasswordPolicy.default.generate()
    }
}
