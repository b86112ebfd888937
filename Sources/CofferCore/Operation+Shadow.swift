import CofferSDK

/// Foundation also declares `Operation`; inside this module the name means Vault's request operation.
typealias Operation = CofferSDK.Operation
