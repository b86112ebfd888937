import CofferCore
import CofferSDK
import FuzzSupport

/// The policy compiler: policy text (HCL or JSON) → `Policy` → `ACL`, then capability checks on paths derived from
/// the input. The input is the policy text, then optionally a NUL byte and newline-separated paths to check (the
/// rules' own patterns, with `*` and `+` filled in, are checked too).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPolicy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let text = String(decoding: bytes[..<split], as: UTF8.self)
    var paths = split < bytes.count ? String(decoding: bytes[(split + 1)...], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) : []

    let policy: Policy
    do {
        policy = try PolicyParser.parse(name: "fuzz", text: text)
    } catch {
        fuzzCheck(!error.apiMessage.isEmpty, "empty policy error")
        return 0
    }
    for rule in policy.paths.prefix(8) {
        paths.append(rule.path)
        let filled = rule.path.replacingOccurrences(of: "+", with: "seg").replacingOccurrences(of: "*", with: "x/y")
        paths.append(filled)
        paths.append(filled + "/")
        paths.append(String(filled.dropLast()))
    }
    let acl = ACL(policies: [policy])
    let twice = ACL(policies: [policy, policy])
    let templated = ACL(policies: [policy], templateValues: ["identity.entity.id": paths.first ?? "", "identity.entity.name": "n"])
    let root = ACL(policies: [Policy(name: "root", paths: []), policy])
    let operations: [CofferSDK.Operation] = [.create, .read, .update, .patch, .delete, .list, .help, .renew]
    for path in paths.prefix(24) {
        let caps = acl.capabilities(path: path)
        fuzzCheck(!caps.isEmpty, "no capabilities for \(path)")
        fuzzCheck(!caps.contains(.deny) || caps == [.deny], "deny with other capabilities for \(path): \(caps)")
        fuzzCheck(twice.capabilities(path: path) == caps, "a policy given twice changes capabilities on \(path)")
        _ = templated.capabilities(path: path)
        _ = templated.capabilityNames(path: path)
        fuzzCheck(root.capabilityNames(path: path) == ["root"], "root ACL is not root on \(path)")
        for operation in operations {
            let result = acl.allowOperation(path: path, operation: operation, data: [:])
            if operation == .list {
                fuzzCheck(result.allowed == caps.contains(.list), "list allowed \(result.allowed) but capabilities \(caps) on \(path)")
            }
            if result.allowed {
                fuzzCheck(result.denialReason == nil, "allowed with a denial reason on \(path)")
                fuzzCheck(!result.capabilities.contains(.deny), "allowed with deny on \(path)")
            }
        }
        let withData = acl.allowOperation(path: path, operation: .update, data: ["key": .string(path), "n": .int(1)])
        if withData.allowed { fuzzCheck(!withData.capabilities.contains(.deny), "allowed with deny on \(path)") }
        fuzzCheck(root.allowOperation(path: path, operation: .delete, data: [:]).allowed, "root refused on \(path)")
    }
    _ = acl.hasAnyCapability(underPrefix: paths.first ?? "")
    return 0
}
