
/// Versions Coffer reports: the one place Coffer's own release is spelled.
///
/// Two numbers, for two audiences. Clients that gate features on the server's version (the `bao` CLI, hvac, the
/// Terraform provider) read `version` in `sys/seal-status` and `sys/health`, so that field carries the OpenBao API
/// level Coffer implements (``apiVersion``). Everywhere Coffer speaks of itself it gives its own release
/// (``version``) next to it: `coffer version`, `coffer status` (`Coffer Version`), `coffer_version` in
/// `sys/seal-status`, the `coffer_build_info` metric and the server's start banner.
public enum CofferVersion {
    /// Coffer's own release.
    public static let version = "0.1.0"
    /// The OpenBao API level Coffer implements.
    public static let apiVersion = CofferSDKInfo.apiVersion
    /// `Coffer v0.1.0 (API compatible with OpenBao 2.7.2)`.
    public static var banner: String { "Coffer v\(version) (API compatible with OpenBao \(apiVersion))" }
}
