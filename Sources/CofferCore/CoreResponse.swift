import CofferSDK

/// A response before HTTP encoding.
public struct CoreResponse: Sendable {
    public var data: [String: JSONValue]?
    public var warnings: [String]
    public var auth: JSONValue?
    public var leaseID: String
    public var leaseDuration: Int64
    public var renewable: Bool
    public var httpStatus: Int?
    /// `sys/` responses repeat their data at the top level, as OpenBao still does for old clients.
    public var duplicateDataAtTopLevel: Bool
    public var wrapInfo: JSONValue? = nil

    public init(data: [String: JSONValue]? = nil, warnings: [String] = [], auth: JSONValue? = nil, leaseID: String = "", leaseDuration: Int64 = 0, renewable: Bool = false, httpStatus: Int? = nil, duplicateDataAtTopLevel: Bool = false) {
        self.data = data
        self.warnings = warnings
        self.auth = auth
        self.leaseID = leaseID
        self.leaseDuration = leaseDuration
        self.renewable = renewable
        self.httpStatus = httpStatus
        self.duplicateDataAtTopLevel = duplicateDataAtTopLevel
    }

    /// True when nothing is to be sent: HTTP 204.
    public var isEmpty: Bool { data == nil && auth == nil && warnings.isEmpty && httpStatus == nil && wrapInfo == nil && leaseID.isEmpty }
}
