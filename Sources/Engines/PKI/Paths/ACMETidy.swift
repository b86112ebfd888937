import CofferSDK
import Foundation
import X509

/// `tidy` with `tidy_acme`: ACME orders (with their authorizations) whose certificate, or for an order never
/// finalized the order itself, expired more than `acme_account_safety_buffer` ago, then accounts left without orders
/// that were created more than that long ago.
extension PKIEngine {
    struct ACMETidyCounts {
        var ordersDeleted = 0
        var accountsDeleted = 0
        var accountsLeft = 0
    }

    func tidyACME(_ storage: any LogicalStorage, buffer: TimeInterval) async throws -> ACMETidyCounts {
        var counts = ACMETidyCounts()
        let cutoff = acme.now().addingTimeInterval(-buffer)
        for id in try await storage.list(prefix: "acme/orders/") where !id.hasSuffix("/") {
            guard let order = try await PKIStore.load(ACMEOrder.self, storage, ACMEStore.order(id)) else { continue }
            var end = order.expires
            if let chain = order.certificateChain, let leaf = try? PKIFormat.parseCertificate(chain) { end = leaf.notValidAfter }
            guard end < cutoff else { continue }
            for a in order.authorizationIDs { try await storage.delete(ACMEStore.authorization(a)) }
            try await storage.delete(ACMEStore.accountOrders(order.accountID) + id)
            try await storage.delete(ACMEStore.order(id))
            counts.ordersDeleted += 1
        }
        for id in try await storage.list(prefix: "acme/accounts/") where !id.hasSuffix("/") {
            guard let account = try await PKIStore.load(ACMEAccount.self, storage, ACMEStore.account(id)) else { continue }
            let orders = try await storage.list(prefix: ACMEStore.accountOrders(id))
            if orders.isEmpty, account.createdAt < cutoff {
                try await storage.delete(ACMEStore.accountKey(account.thumbprint))
                try await storage.delete(ACMEStore.account(id))
                counts.accountsDeleted += 1
            } else {
                counts.accountsLeft += 1
            }
        }
        return counts
    }
}
