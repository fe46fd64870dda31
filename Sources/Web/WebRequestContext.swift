import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the caller's address, which the access
/// check needs to recognise callers on this machine.
struct WebRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
