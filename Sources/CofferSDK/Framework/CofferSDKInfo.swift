/// Facts about the API the SDK speaks.
public enum CofferSDKInfo {
    /// The OpenBao API version Coffer's HTTP API follows, shown in the OpenAPI document's `info.version`.
    public static let apiVersion = "2.7.2"
}
