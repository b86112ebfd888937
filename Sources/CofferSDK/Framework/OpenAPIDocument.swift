/// The OpenAPI 3 document of every mounted path (`GET /v1/sys/internal/specs/openapi`), written from the same
/// declarations that route requests, in the layout of OpenBao's generated document: one entry per path below
/// `/v1` with its named segments as path parameters, `get`/`post`/`delete` operations (a list as `get` with the
/// `list` query parameter), a JSON request body built from the fields, and `x-vault-*` extensions.
public enum OpenAPIDocument {
    /// One mount's paths.
    public struct Mount: Sendable {
        /// The mount point with a trailing slash (`secret/`, `auth/approle/`); "" for the core's own paths.
        public var path: String
        /// `secrets`, `auth` or `system`, used as the operations' tag.
        public var tag: String
        /// The engine's type, which makes the operation ids (`kv-read-data-path`).
        public var type: String
        public var paths: [PathDescription]

        public init(path: String, tag: String, type: String, paths: [PathDescription]) {
            self.path = path
            self.tag = tag
            self.type = type
            self.paths = paths
        }
    }

    public static func build(version: String, mounts: [Mount]) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        var schemas: [String: JSONValue] = [:]
        var usedIDs: Set<String> = []
        for mount in mounts {
            for p in mount.paths {
                for shape in p.pattern.openAPIPaths {
                    let key = "/" + mount.path + shape
                    guard paths[key] == nil else { continue }
                    paths[key] = .object(
                        pathItem(p, shape: shape, mount: mount, schemas: &schemas, usedIDs: &usedIDs))
                }
            }
        }
        return [
            "openapi": "3.0.2",
            "info": [
                "title": "Coffer API",
                "description": "HTTP API that gives you full access to Coffer. All API routes are prefixed with `/v1/`.",
                "version": .string(version),
                "license": ["name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"],
            ],
            "paths": .object(paths),
            "components": ["schemas": .object(schemas)],
        ]
    }

    static func pathItem(
        _ p: PathDescription, shape: String, mount: Mount, schemas: inout [String: JSONValue], usedIDs: inout Set<String>
    ) -> [String: JSONValue] {
        var item: [String: JSONValue] = [:]
        let synopsis = p.synopsis.trimmingWhitespace()
        if !synopsis.isEmpty { item["description"] = .string(synopsis) }
        // Named segments of this shape are path parameters; the mount point is one too when it is not fixed.
        let captured = Set(shape.split(separator: "/").compactMap { seg -> String? in
            seg.hasPrefix("{") && seg.hasSuffix("}") ? String(seg.dropFirst().dropLast()) : nil
        })
        var parameters: [JSONValue] = []
        for name in p.pattern.parameterNames where captured.contains(name) {
            let f = p.fields.first { $0.name == name }
            var param: [String: JSONValue] = [
                "name": .string(name), "in": "path", "required": true, "schema": ["type": "string"],
            ]
            if let d = f?.description, !d.isEmpty { param["description"] = .string(d) }
            parameters.append(.object(param))
        }
        // Query fields are parameters of the path, shared by its operations, and never part of a request body.
        for f in p.fields where f.query && !p.pattern.parameterNames.contains(f.name) {
            var q: [String: JSONValue] = ["name": .string(f.name), "in": "query", "schema": .object(fieldSchema(f))]
            if !f.description.isEmpty { q["description"] = .string(f.description) }
            parameters.append(.object(q))
        }
        if !parameters.isEmpty { item["parameters"] = .array(parameters) }
        if p.createSupported { item["x-vault-createSupported"] = true }
        if p.unauthenticated { item["x-vault-unauthenticated"] = true }
        if p.sudo { item["x-vault-sudo"] = true }

        // A named part this shape leaves out (an optional one) is a body field, as in OpenBao's document.
        let bodyFields = p.fields.filter { !$0.query && !captured.contains($0.name) }
        let baseID = operationBase(mount: mount, shape: shape)
        let served = Set(p.operations.map(\.operation))
        for op in p.operations {
            let method: String
            let verb: String
            switch op.operation {
            case .read: (method, verb) = ("get", "read")
            // A path that reads and lists has one `get`: the read's, with an optional `list` parameter.
            case .list where served.contains(.read): continue
            case .list: (method, verb) = ("get", "list")
            case .create where served.contains(.update): continue
            case .create, .update: (method, verb) = ("post", "write")
            case .patch: (method, verb) = ("patch", "patch")
            case .delete: (method, verb) = ("delete", "delete")
            default: continue
            }
            var o: [String: JSONValue] = ["tags": [.string(mount.tag)]]
            if !op.summary.isEmpty { o["summary"] = .string(op.summary) }
            if op.deprecated { o["deprecated"] = true }
            var id = ([baseID.prefix, verb] + (baseID.suffix.isEmpty ? [] : [baseID.suffix])).filter { !$0.isEmpty }.joined(separator: "-")
            let first = id
            var n = 2
            while usedIDs.contains(id) {
                id = first + "-\(n)"
                n += 1
            }
            usedIDs.insert(id)
            o["operationId"] = .string(id)
            o["responses"] = op.noContent ? ["204": ["description": "empty body"]] : ["200": ["description": "OK"]]
            var query: [JSONValue] = []
            if op.operation == .list {
                query.append([
                    "name": "list", "description": "Must be set to `true`", "in": "query", "required": true,
                    "schema": ["type": "string", "enum": ["true"]],
                ])
            } else if op.operation == .read, served.contains(.list) {
                query.append(["name": "list", "description": "Return a list if `true`", "in": "query", "schema": ["type": "string"]])
            }
            if method != "get" && method != "delete" && !bodyFields.isEmpty {
                let schemaName = componentName(id) + "Request"
                var props: [String: JSONValue] = [:]
                var required: [JSONValue] = []
                for f in bodyFields {
                    props[f.name] = .object(fieldSchema(f))
                    if f.required { required.append(.string(f.name)) }
                }
                var schema: [String: JSONValue] = ["type": "object", "properties": .object(props)]
                if !required.isEmpty { schema["required"] = .array(required) }
                schemas[schemaName] = .object(schema)
                o["requestBody"] = [
                    "required": .bool(!required.isEmpty),
                    "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/" + schemaName)]]],
                ]
            }
            if !query.isEmpty { o["parameters"] = .array(query) }
            item[method] = .object(o)
        }
        return item
    }

    static func fieldSchema(_ f: Field) -> [String: JSONValue] {
        var s = f.type.openAPISchema
        if !f.description.isEmpty { s["description"] = .string(f.description) }
        if f.deprecated { s["deprecated"] = true }
        if !f.allowedValues.isEmpty { s["enum"] = .array(f.allowedValues.map { .string($0) }) }
        if let d = f.defaultValue {
            switch f.type {
            case .durationSecond, .signedDurationSecond:
                // An integer, so the document validates (OpenBao writes "24h" here, which validators refuse).
                if case .int = d { s["default"] = d }
            default: s["default"] = d
            }
        }
        return s
    }

    /// The parts of an operation id around its verb, as OpenBao builds them: the mount's type, then the path with
    /// every run of non-word characters as one `-` (`kv` and `data-path`: `kv-read-data-path`).
    static func operationBase(mount: Mount, shape: String) -> (prefix: String, suffix: String) {
        func words(_ s: String) -> String {
            s.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).joined(separator: "-")
        }
        return (words(mount.type), words(shape))
    }

    /// `write-kv-data-path` → `WriteKvDataPath`.
    static func componentName(_ id: String) -> String {
        id.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
