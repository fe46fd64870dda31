import GRPCCore

/// Turns gRPC errors into one readable line (code, message and root cause)
/// for the failure message on stderr.
enum RPCErrorText {
    static func describe(_ error: any Error) -> String {
        guard let rpcError = error as? RPCError else { return String(describing: error) }
        var text = "\(rpcError.code): \(rpcError.message)"
        if let cause = rpcError.cause {
            text += " (\(describe(cause)))"
        }
        return text.replacingOccurrences(of: "\n", with: " ")
    }
}
