import CofferSDK

/// Error texts and checks shared by the kv and cubbyhole engines, as OpenBao words them.
enum KVErrors {
    /// 400 for a create/update on a folder path.
    static let writeToFolder = LogicalError.invalidRequest("cannot write to a path ending in '/'")
}

/// OpenBao refuses a create, update or patch of a folder (the mount root, or a path ending in `/`) before routing it
/// and before the existence check.
func rejectFolderWrite(_ request: LogicalRequest) throws {
    switch request.operation {
    case .create, .update, .patch: break
    default: return
    }
    if request.path.isEmpty || request.path.hasSuffix("/") {
        throw KVErrors.writeToFolder
    }
}

/// A 404 with no body at all (OpenBao answers a PATCH of a missing key this way).
func emptyNotFoundResponse() -> LogicalResponse {
    LogicalResponse(httpStatus: 404)
}

/// The keys below a folder path: `""` and `"a/"` list as themselves, `"a"` lists as `"a/"`.
func folderPrefix(_ path: String) -> String {
    if path.isEmpty || path.hasSuffix("/") { return path }
    return path + "/"
}
