import ArgumentParser
import CofferClient

/// `coffer auth move SOURCE DESTINATION`: moves an auth method (`sys/remount` of `auth/...` paths), waiting for the
/// migration to finish. Paths may be given with or without their `auth/` prefix.
struct AuthMoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move", abstract: "Move an auth method to a new path",
        discussion: "Leases of the old path are revoked; the method's configuration is kept.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The auth method's current path (e.g. approle/ or auth/approle/).")
    var source: String

    @Argument(help: "The new path.")
    var destination: String

    /// `approle` and `auth/approle/` both become `auth/approle/`.
    static func authPath(_ path: String) -> String {
        let mount = mountPath(path)
        return mount.hasPrefix("auth/") ? mount : "auth/" + mount
    }

    func run() async throws {
        try await MountMove.run(client: client, kind: "auth method", from: Self.authPath(source), to: Self.authPath(destination))
    }
}
