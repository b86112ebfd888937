import ArgumentParser
import CofferClient

/// `coffer login [-method=M] [-path=P] [TOKEN | K=V...]`: authenticates and stores the token in `~/.vault-token`.
///
/// Methods: `token` (the default: the token is checked with `auth/token/lookup-self`), `userpass`
/// (`username=U [password=P]`), `approle` (`role_id=.. [secret_id=..]`) and `jwt` (`jwt=.. [role=..]`). `-path`
/// names the mount when it is not the method name. Under `-wrap-ttl` the login response is unwrapped before use, unless
/// `-token-only` (prints the wrapping token) or `-no-store` (prints the wrapping information) is given.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Authenticate locally")

    static let methods = ["token", "userpass", "approle", "jwt"]

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("method"), help: "Type of authentication: token, userpass, approle or jwt.")
    var method: String = "token"

    @Option(name: .customLong("path"), help: "Mount path of the auth method (default: the method name).")
    var path: String?

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Flag(name: .customLong("no-store"), help: "Do not persist the token to the token helper.")
    var noStore = false

    @Flag(name: .customLong("no-print"), help: "Do not display the token.")
    var noPrint = false

    @Flag(name: .customLong("token-only"), help: "Print only the token (implies -no-store).")
    var tokenOnly = false

    @Argument(help: "The token (\"-\" reads it from stdin; prompted for when omitted), or K=V pairs for other methods.")
    var arguments: [String] = []

    func run() async throws {
        let method = self.method.trimmingWhitespace()
        guard Self.methods.contains(method) else {
            throw CLIFailure.usage(
                TextWrap.wrap(
                    "Unknown auth method: \(method). Use \"coffer auth list\" to see the complete list of auth methods. "
                        + "Additionally, some auth methods are only available via the HTTP API."
                )
            )
        }
        let noStore = self.noStore || tokenOnly
        let formatter = output.formatter

        var secret: JSON
        if method == "token" {
            secret = try await tokenLogin()
        } else {
            let config = try Self.parseConfiguration(arguments)
            let mount = sanitizePath(path ?? config["mount"] ?? method)
            let (loginPath, body) = try Self.loginRequest(method: method, mount: mount, config: config)
            secret = try await client.withClient(token: .some(nil)) { client in
                try await api("Error authenticating") {
                    try await client.request(method: "PUT", path: loginPath, body: body).body ?? .object([])
                }
            }
        }

        // A wrapped login: hand out the wrapping token, show the wrapping information or unwrap it.
        if let wrap = secret["wrap_info"], !wrap.isNull {
            let wrappingToken = wrap["token"]?.stringValue ?? ""
            if tokenOnly {
                throw ExitCode(formatter.printField(.string(wrappingToken), field: "wrapping_token"))
            }
            if noStore {
                formatter.outputSecret(secret)
                return
            }
            secret = try await client.withClient(token: .some(wrappingToken)) { client in
                try await api("Error unwrapping secret") {
                    try await client.request(method: "PUT", path: "sys/wrapping/unwrap", wrapTTL: .some(nil)).body
                        ?? .object([])
                }
            }
        }

        guard let auth = secret["auth"], !auth.isNull, let token = auth["client_token"]?.stringValue, !token.isEmpty
        else {
            throw CLIFailure.server("Error authenticating: no token was returned by the server")
        }

        if !noStore {
            do {
                try TokenHelper.store(token)
            } catch {
                throw CLIFailure.server("Error storing token: \(error)")
            }
            if let variable = Environment.lookup("TOKEN")?.name {
                Console.error(
                    TextWrap.wrap(
                        "WARNING! The \(variable) environment variable is set! The value of this variable will take "
                            + "precedence; if this is unwanted please unset \(variable) or update its value accordingly."
                    ) + "\n"
                )
            }
        } else if !tokenOnly {
            Console.error(
                TextWrap.wrap(
                    "The token was not stored in token helper. Set the COFFER_TOKEN environment variable or pass the "
                        + "token below with each request to Coffer."
                ) + "\n"
            )
        }

        if tokenOnly {
            throw ExitCode(formatter.printField(.string(token), field: "token"))
        }
        if noPrint { return }
        if let field {
            throw ExitCode(formatter.printField(Formatter.rawField(secret, field), field: field))
        }
        if output.isTable {
            Console.out(
                TextWrap.wrap(
                    "Success! You are now authenticated. The token information displayed below is already stored in "
                        + "the token helper. You do NOT need to run \"coffer login\" again. Future Coffer requests will "
                        + "automatically use this token."
                ) + "\n"
            )
        }
        formatter.outputSecret(secret)
    }

    /// The token method: reads the token (argument, `token=`, `-` for stdin, or a prompt) and builds the login response
    /// from `auth/token/lookup-self`.
    func tokenLogin() async throws -> JSON {
        var token: String
        switch arguments.count {
        case 0:
            guard Console.stdinIsTerminal, let typed = Console.readSecret(prompt: "Token (will be hidden): ") else {
                throw CLIFailure.usage("Error authenticating: no token given and stdin is not a terminal")
            }
            token = typed
        case 1:
            token = arguments[0] == "-" ? Console.readStdin() : arguments[0]
            if arguments[0].hasPrefix("token=") { token = String(arguments[0].dropFirst("token=".count)) }
        default:
            throw CLIFailure.usage("Too many arguments (expected 1, got \(arguments.count))")
        }
        token = token.trimmingWhitespace()
        guard !token.isEmpty else { throw CLIFailure.usage("Error authenticating: no token provided") }

        // The lookup itself is never wrapped: `-wrap-ttl` has no effect on a token login.
        let lookup = try await client.withClient(token: .some(token)) { client in
            try await api("Error authenticating: error looking up token") {
                try await client.request(method: "GET", path: "auth/token/lookup-self", wrapTTL: .some(nil)).body
            }
        }
        guard let data = lookup?["data"], data.isObject else {
            throw CLIFailure.server("Error authenticating: empty response from lookup-self")
        }
        var auth = JSON.object([])
        auth["client_token"] = .string(token)
        auth["accessor"] = data["accessor"] ?? ""
        auth["policies"] = data["policies"] ?? .null
        auth["token_policies"] = data["policies"] ?? .null
        auth["identity_policies"] = data["identity_policies"] ?? .null
        auth["metadata"] = data["meta"] ?? .null
        auth["orphan"] = false
        auth["entity_id"] = data["entity_id"] ?? ""
        auth["lease_duration"] = data["ttl"] ?? .int(0)
        auth["renewable"] = data["renewable"] ?? false
        var secret = JSON.object([])
        secret["request_id"] = ""
        secret["auth"] = auth
        return secret
    }

    /// Parses the `K=V` arguments of a non-token method (`k=@file` and `k=-` read the value from a file or stdin).
    static func parseConfiguration(_ arguments: [String]) throws -> [String: String] {
        for argument in arguments where !argument.contains("=") {
            throw CLIFailure.usage(
                "Error parsing configuration: invalid key/value pair \"\(argument)\": format must be key=value"
            )
        }
        let parsed: JSON
        do {
            parsed = try DataArguments.parse(arguments)
        } catch let failure as CLIFailure {
            var message = failure.message
            if message.hasPrefix("Failed to parse K=V data: ") { message.removeFirst("Failed to parse K=V data: ".count) }
            throw CLIFailure.usage("Error parsing configuration: \(message)")
        }
        var config: [String: String] = [:]
        for member in parsed.members ?? [] {
            config[member.key] = member.value.stringValue ?? member.value.arrayValue?.last?.stringValue ?? GoFormat.value(member.value)
        }
        return config
    }

    /// The login path and body for `method` mounted at `mount`.
    static func loginRequest(method: String, mount: String, config: [String: String]) throws -> (String, JSON) {
        func required(_ key: String) throws -> String {
            guard let value = config[key], !value.isEmpty else {
                throw CLIFailure.server("Error authenticating: '\(key)' must be specified")
            }
            return value
        }
        switch method {
        case "userpass":
            let username = try required("username")
            var password = config["password"] ?? ""
            if config["password"] == nil {
                password = try readPassword()
            }
            return ("auth/\(mount)/login/\(username)", .object(["password": .string(password)]))
        case "approle":
            var body = JSON.object(["role_id": .string(try required("role_id"))])
            if let secretID = config["secret_id"] { body["secret_id"] = .string(secretID) }
            return ("auth/\(mount)/login", body)
        case "jwt":
            var body = JSON.object([])
            if let role = config["role"] { body["role"] = .string(role) }
            body["jwt"] = .string(try required("jwt"))
            return ("auth/\(mount)/login", body)
        default:
            throw CLIFailure.usage("Unknown auth method: \(method)")
        }
    }

    /// The password: prompted for (without echo) on a terminal, else the first line of stdin.
    static func readPassword() throws -> String {
        if Console.stdinIsTerminal {
            guard let typed = Console.readSecret(prompt: "Password (will be hidden): ") else {
                throw CLIFailure.server("Error authenticating: no password given")
            }
            return typed
        }
        let text = Console.readStdin()
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let password = line.hasSuffix("\r") ? String(line.dropLast()) : line
        guard !password.isEmpty else {
            throw CLIFailure.server("Error authenticating: no password given and stdin is empty")
        }
        return password
    }
}
