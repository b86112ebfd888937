import CofferSDK

/// `sys/policies/password`: OpenBao's password policies, stored by ``PasswordPolicyStore`` and parsed by
/// ``PasswordPolicyParser``. None of the paths needs sudo; the default policy grants none of them.
extension SystemBackend {
    static let passwordPolicyPaths: [Path] = [
        Path(
            "policies/password/?",
            operations: [.list: sys("List the password policies.") { c, _ in try await c.listPasswordPolicies() }],
            synopsis: "List the password policies."),
        Path(
            "policies/password/{name+}/generate", fields: [Field("name", .string, "The name of the password policy.")],
            operations: [.read: sys("Generate a password from a password policy.") { c, r in try await c.generateFromPasswordPolicy(r) }],
            synopsis: "Generate a password from a password policy."),
        Path(
            "policies/password/{name+}",
            fields: [
                Field("name", .string, "The name of the password policy."),
                Field("policy", .string, "The password policy, in HCL or JSON, or base64 of either."),
            ],
            operations: [
                .read: sys("Read a password policy.") { c, r in try await c.readPasswordPolicy(r) },
                .update: sys("Write a password policy.", noContent: true) { c, r in try await c.writePasswordPolicy(r) },
                .delete: sys("Delete a password policy.", noContent: true) { c, r in try await c.deletePasswordPolicy(r) },
            ], synopsis: "Read, write and delete password policies."),
    ]
}

extension SystemCall {
    static let passwordPolicyMissing = LogicalError.goError(.notFound, "policy does not exist")

    /// An empty list is a 404 without errors, as OpenBao answers any empty list.
    func listPasswordPolicies() async throws -> CoreResponse {
        let names = try await core.passwordPolicies.list()
        if names.isEmpty { throw LogicalError.notFound }
        return CoreResponse(data: ["keys": .array(names.map { .string($0) })])
    }

    func readPasswordPolicy(_ r: PathRequest) async throws -> CoreResponse {
        guard let text = try await core.passwordPolicies.text(try r.fields.string("name")) else { throw Self.passwordPolicyMissing }
        return CoreResponse(data: ["policy": .string(text)])
    }

    func writePasswordPolicy(_ r: PathRequest) async throws -> CoreResponse {
        let raw = try r.fields.string("policy")
        guard !raw.isEmpty else { throw LogicalError.goError(.invalidRequest, "missing policy") }
        let text = PasswordPolicyParser.decodedText(raw)
        let policy = try PasswordPolicyParser.parse(text)
        guard PasswordPolicyParser.lengthRange.contains(policy.length) else {
            let range = PasswordPolicyParser.lengthRange
            throw LogicalError.goError(.invalidRequest, "passwords must be between \(range.lowerBound) and \(range.upperBound) characters")
        }
        try await core.passwordPolicies.set(try r.fields.string("name"), text: text, policy: policy)
        return CoreResponse()
    }

    func deletePasswordPolicy(_ r: PathRequest) async throws -> CoreResponse {
        try await core.passwordPolicies.delete(try r.fields.string("name"))
        return CoreResponse()
    }

    func generateFromPasswordPolicy(_ r: PathRequest) async throws -> CoreResponse {
        guard let policy = try await core.passwordPolicies.policy(try r.fields.string("name")) else { throw Self.passwordPolicyMissing }
        do {
            return CoreResponse(data: ["password": .string(try policy.generate())])
        } catch let e as LogicalError {
            throw LogicalError.goError(.internal, "failed to generate password from policy: \(e.description)")
        }
    }
}
