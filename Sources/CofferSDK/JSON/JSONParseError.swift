import Foundation

/// Errors from ``JSONValue/parse(_:)``.
public struct JSONParseError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
