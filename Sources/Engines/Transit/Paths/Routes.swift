import CofferSDK

/// The transit engine's paths, declared once: the framework routes, validates fields, answers unknown paths and
/// operations, and writes path-help and OpenAPI from these declarations.
extension TransitEngine {
    static func name(_ what: String) -> Field { Field("name", .string, "Name of the \(what).") }

    static let batchInput = Field(
        "batch_input", .slice,
        "A list of items, each an object with the fields of a single request, processed in one call; the results come back in the same order.")
    static let context = Field("context", .string, "Base64 context for key derivation; required when the key is derived.")
    static let associatedData = Field("associated_data", .string, "Base64 data authenticated with the ciphertext but not encrypted (AEAD key types).")
    static let keyVersion = Field("key_version", .int, "Version of the key to use; the latest when zero or absent.")
    static let partialFailureCode = Field(
        "partial_failure_response_code", .int,
        "HTTP status to answer with when some, but not all, batch items fail (400 otherwise).")
    static let input = Field("input", .string, "Base64 input data.")
    static let urlAlgorithm = Field("urlalgorithm", .string, "Hash algorithm, given in the path.")
    static let exportable = Field("exportable", .bool, "Whether the key material may be exported.")
    static let allowBackup = Field("allow_plaintext_backup", .bool, "Whether the key may be backed up in plaintext (needs exportable).")
    static let derived = Field("derived", .bool, "Whether a per-request context derives the key actually used.")
    static let keyType = Field("type", .string, default: "aes256-gcm96", "Type of key to create.")
    static let externalKeyRef = Field("external_key_ref", .string, "Reference to a key held in an external key manager (not supported).")
    static let hashFunction = Field("hash_function", .string, default: "SHA256", "Hash of the RSA-OAEP wrapping of an imported key: SHA1, SHA224, SHA256, SHA384 or SHA512.")
    static let importCiphertext = Field("ciphertext", .string, "Base64 of the wrapped key: RSA-OAEP of an ephemeral AES key followed by the key wrapped with it (KWP).")
    static let publicKey = Field("public_key", .string, "PEM public key to import instead of a private key (asymmetric types).")
    static func autoRotateField(default d: Int64? = nil) -> Field {
        Field("auto_rotate_period", .durationSecond, default: d.map { .int($0) }, "How often the key rotates by itself; 0 disables, otherwise at least an hour.")
    }

    static let signatureFields: [Field] = [
        name("key"), input, context, urlAlgorithm, batchInput,
        Field("algorithm", .string, "Deprecated name of hash_algorithm."),
        Field("hash_algorithm", .string, "Hash applied to the input before signing (sha2-256 by default; none for ed25519 and prehashed input)."),
        Field("prehashed", .bool, "Whether the input is already a hash."),
        Field("signature_algorithm", .string, "RSA padding: pss (default) or pkcs1v15."),
        Field("marshaling_algorithm", .string, default: "asn1", "Encoding of ECDSA signatures: asn1 or jws."),
        Field("salt_length", .string, default: "auto", "PSS salt length: auto, hash, or a number of bytes."),
    ]

    static let router = PathRouter<TransitEngine>([
        EnginePath(
            "keys/?",
            operations: [.list: .init("List the keys.", method: TransitEngine.listKeys)],
            synopsis: "List the named keys.",
            description: "Lists the names of the keys this mount holds."),
        EnginePath(
            "keys/{name}",
            fields: [
                name("key"), keyType, derived, exportable, allowBackup, autoRotateField(default: 0), externalKeyRef,
                Field("convergent_encryption", .bool, "Whether encryption is deterministic for a given context (needs derived)."),
                Field("key_size", .int, default: .int(0), "Size in bytes of an HMAC key, 32 to 512."), context,
            ],
            operations: [
                .read: .init("Read a key's settings and public parts.", method: TransitEngine.readKey),
                .update: .init("Create a key.", method: TransitEngine.createKey),
                .delete: .init("Delete a key.", noContent: true, method: TransitEngine.deleteKey),
            ],
            synopsis: "Create, read or delete a named key.",
            description: "A write creates the key with its first version (nothing changes when it exists); a read shows its settings and versions; a delete removes it when deletion_allowed is set."),
        EnginePath(
            "keys/{name}/config",
            fields: [
                name("key"), exportable, allowBackup, autoRotateField(),
                Field("min_decryption_version", .int, "Oldest key version that may decrypt or verify."),
                Field("min_encryption_version", .int, "Oldest key version that may encrypt or sign; 0 means the latest."),
                Field("deletion_allowed", .bool, "Whether the key may be deleted."),
            ],
            operations: [.update: .init("Change a key's settings.", method: TransitEngine.configKey)],
            synopsis: "Change the settings of a key.",
            description: "Sets the version limits, deletion, export, plaintext backup and automatic rotation of a key. Export and plaintext backup cannot be turned off once on."),
        EnginePath(
            "keys/{name}/rotate",
            fields: [name("key"), externalKeyRef],
            operations: [.update: .init("Rotate a key.", method: TransitEngine.rotateKey)],
            synopsis: "Add a new version to a key.",
            description: "Generates a new version of the key, which becomes the one used for encryption and signing."),
        EnginePath(
            "keys/{name}/trim",
            fields: [name("key"), Field("min_available_version", .int, "Versions below this one are deleted for good.")],
            operations: [.update: .init("Trim old key versions.", method: TransitEngine.trimKey)],
            synopsis: "Delete old versions of a key.",
            description: "Removes the versions below min_available_version, which may not exceed the minimum encryption and decryption versions."),
        EnginePath(
            "keys/{name}/import",
            fields: [
                name("key"), keyType, importCiphertext, publicKey, hashFunction, derived, exportable, allowBackup,
                autoRotateField(default: 0), context,
                Field("allow_rotation", .bool, "Whether the imported key may be rotated inside the server."),
            ],
            operations: [.update: .init("Import a key.", noContent: true, method: TransitEngine.importKey)],
            synopsis: "Import key material as a new named key.",
            description: "Creates a key from material wrapped for the mount's wrapping key (or from a public key alone)."),
        EnginePath(
            "keys/{name}/import_version",
            fields: [
                name("key"), importCiphertext, publicKey, hashFunction,
                Field("version", .int, "Version whose private key to add, for a version imported as a public key."),
            ],
            operations: [.update: .init("Import a key version.", noContent: true, method: TransitEngine.importKeyVersion)],
            synopsis: "Import key material as a new version of an imported key.",
            description: "Adds a version to an imported key, or the private half of a version imported as a public key."),
        EnginePath(
            "wrapping_key",
            operations: [.read: .init("Read the wrapping key.", method: TransitEngine.readWrappingKey)],
            synopsis: "The public key to wrap keys for import with.",
            description: "Returns the mount's RSA-4096 public key (PEM), generated on first use."),
        EnginePath(
            "encrypt/{name}",
            fields: [
                name("key"), Field("plaintext", .string, "Base64 plaintext to encrypt."), context, associatedData, keyVersion,
                Field("type", .string, default: "aes256-gcm96", "Type of key created when the key does not exist yet."),
                Field("convergent_encryption", .bool, "Whether a key created by this request uses convergent encryption."),
                batchInput, partialFailureCode,
            ],
            operations: [.update: .init("Encrypt data.", method: TransitEngine.encrypt)],
            existenceCheck: { _, req in try await req.storage.get(KeyPolicy.storageKey(try req.fields.string("name"))) != nil },
            synopsis: "Encrypt data with a named key.",
            description: "Encrypts base64 plaintext. When the key does not exist, the request creates it (needs the create capability)."),
        EnginePath(
            "decrypt/{name}",
            fields: [
                name("key"), Field("ciphertext", .string, "Ciphertext to decrypt, as encrypt returned it."), context, associatedData,
                batchInput, partialFailureCode,
            ],
            operations: [.update: .init("Decrypt data.", method: TransitEngine.decrypt)],
            synopsis: "Decrypt data with a named key.",
            description: "Decrypts a ciphertext and returns the base64 plaintext."),
        EnginePath(
            "rewrap/{name}",
            fields: [name("key"), Field("ciphertext", .string, "Ciphertext to encrypt again."), context, keyVersion, batchInput],
            operations: [.update: .init("Rewrap ciphertext.", method: TransitEngine.rewrap)],
            synopsis: "Encrypt a ciphertext again with the latest key version.",
            description: "Decrypts and re-encrypts without showing the plaintext, to move ciphertexts to a newer key version."),
        EnginePath(
            "datakey/{plaintext}/{name}",
            fields: [
                name("key"), Field("plaintext", .string, "plaintext to also return the key in the clear, wrapped for the ciphertext only."),
                context, associatedData, keyVersion, Field("bits", .int, default: .int(256), "Size of the data key: 128, 256 or 512 bits."),
            ],
            operations: [.update: .init("Generate a data key.", method: TransitEngine.datakey)],
            synopsis: "Generate a data key encrypted with a named key.",
            description: "Generates a random key and returns it encrypted, and in the clear for the plaintext variant."),
        EnginePath(
            "hmac/{name}/{urlalgorithm+?}",
            fields: [
                name("key"), input, keyVersion, urlAlgorithm, batchInput,
                Field("algorithm", .string, default: "sha2-256", "Hash algorithm of the HMAC."),
            ],
            operations: [.update: .init("Compute an HMAC.", method: TransitEngine.hmac)],
            synopsis: "Compute the HMAC of data with a named key.",
            description: "Returns the HMAC of base64 input under the key's HMAC key."),
        EnginePath(
            "sign/{name}/{urlalgorithm+?}",
            fields: signatureFields + [keyVersion],
            operations: [.update: .init("Sign data.", method: TransitEngine.sign)],
            synopsis: "Sign data with a named key.",
            description: "Returns the signature of base64 input with an asymmetric key."),
        EnginePath(
            "verify/{name}/{urlalgorithm+?}",
            fields: signatureFields + [
                Field("signature", .string, "Signature to check, as sign returned it."),
                Field("hmac", .string, "HMAC to check, as hmac returned it."),
            ],
            operations: [.update: .init("Verify a signature or an HMAC.", method: TransitEngine.verify)],
            synopsis: "Verify a signature or an HMAC with a named key.",
            description: "Checks a signature or an HMAC of base64 input and answers valid true or false."),
        EnginePath(
            "export/{type}/{name}/{version+?}",
            fields: [
                name("key"),
                Field("type", .string, "What to export: encryption-key, signing-key, hmac-key or public-key."),
                Field("version", .string, "Version to export, or latest; every version when absent."),
            ],
            operations: [.read: .init("Export a key.", method: TransitEngine.export)],
            synopsis: "Export key material.",
            description: "Returns the key material of an exportable key (public keys of any asymmetric key)."),
        EnginePath(
            "backup/{name}",
            fields: [name("key")],
            operations: [.read: .init("Back up a key.", method: TransitEngine.backup)],
            synopsis: "Back up a named key.",
            description: "Returns the whole key, every version included, as a base64 document for restore (needs exportable and allow_plaintext_backup)."),
        EnginePath(
            "restore/{name+?}",
            fields: [
                Field("name", .string, "Name to restore the key as; the name in the backup when absent."),
                Field("backup", .string, "Backup document, as backup returned it."),
                Field("force", .bool, default: .bool(false), "Whether to overwrite a key of the same name."),
            ],
            operations: [.update: .init("Restore a key.", noContent: true, method: TransitEngine.restore)],
            synopsis: "Restore a key from a backup.",
            description: "Restores a key from a backup made by this server or by OpenBao."),
        EnginePath(
            "cache-config",
            fields: [Field("size", .int, default: .int(0), "Number of keys to cache; 0 for no limit, otherwise at least 10.")],
            operations: [
                .read: .init("Read the key cache size.", method: TransitEngine.readCacheConfig),
                // A create too (no existence check, so the core always asks for update), as OpenBao declares it.
                .create: .init("Set the key cache size.", method: TransitEngine.writeCacheConfig),
                .update: .init("Set the key cache size.", method: TransitEngine.writeCacheConfig),
            ],
            synopsis: "Size of the cache of parsed keys.",
            description: "The cache of parsed keys; it holds every key this server uses, whatever the size."),
        EnginePath(
            "random/{source?}/{urlbytes+?}",
            fields: randomFields,
            operations: [.update: .init("Generate random bytes.") { _, req in try TransitEngine.random(req) }],
            synopsis: "Generate random bytes.",
            description: "Returns random bytes in base64 or hex."),
        EnginePath(
            "hash/{urlalgorithm+?}",
            fields: hashFields,
            operations: [.update: .init("Hash data.") { _, req in try TransitEngine.hash(req) }],
            synopsis: "Hash data.",
            description: "Returns the digest of base64 input in hex or base64."),
    ], help: "The transit engine keeps named keys and uses them to encrypt, decrypt, sign, verify and compute HMACs, so that the keys never leave the server unless they are made exportable.")
}
