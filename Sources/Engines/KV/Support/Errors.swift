import CofferSDK

/// Error texts shared by the kv and cubbyhole engines, as OpenBao words them.
enum KVErrors {
    /// 405 for an operation a matched path does not support.
    static let unsupportedOperation = LogicalError(.unsupportedOperation, "1 error occurred:\n\t* unsupported operation\n\n")
    /// 400 for a create/update on a folder path.
    static let writeToFolder = LogicalError.invalidRequest("cannot write to a path ending in '/'")
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
