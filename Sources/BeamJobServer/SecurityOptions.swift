import ArgumentParser
import GRPCNIOTransportHTTP2
import JobService
import NIOSSL

/// The `serve` flags for access control: a bearer token for the Job, artifact
/// and web APIs, and TLS for the web UI and a second Job API listener.
/// Beam's SDKs speak neither, so the plaintext `--job-port` stays for them.
struct SecurityOptions: ParsableArguments {
    @Option(help: "File whose first line is a bearer token (16+ characters) that the Job, artifact and web APIs then require (Authorization: Bearer, or the web UI's login); see --auth-loopback.")
    var authTokenFile: String?

    @Option(help: "open: callers on this machine's loopback need no token (Beam's SDKs send none); token: they need it too.")
    var authLoopback: String = "open"

    @Option(help: "PEM certificate chain: the web UI then serves HTTPS only, and the Job and artifact APIs also listen with TLS on --tls-job-port (the plaintext --job-port then binds loopback only).")
    var tlsCertFile: String?

    @Option(help: "PEM private key of --tls-cert-file.")
    var tlsKeyFile: String?

    @Option(help: "Port of the TLS Job and artifact API listener, on --host (0 picks a free one).")
    var tlsJobPort: Int = 8100

    func validate() throws {
        guard ["open", "token"].contains(authLoopback) else { throw ValidationError("--auth-loopback must be open or token") }
        guard authLoopback == "open" || authTokenFile != nil else {
            throw ValidationError("--auth-loopback token needs --auth-token-file")
        }
        guard (tlsCertFile == nil) == (tlsKeyFile == nil) else {
            throw ValidationError("--tls-cert-file and --tls-key-file go together")
        }
        guard (0...65535).contains(tlsJobPort) else { throw ValidationError("--tls-job-port must be between 0 and 65535") }
    }

    /// Said at start-up when a token would cross the network in clear text.
    func clearTextWarning(host: String) -> String? {
        guard authTokenFile != nil, tlsCertFile == nil, !AccessPolicy.isLoopbackName(host) else { return nil }
        return "--auth-token-file without TLS on \(host): tokens, the sign-in form and session cookies cross the network"
            + " in clear text; add --tls-cert-file and --tls-key-file"
    }

    func policy() throws -> AccessPolicy {
        guard let authTokenFile else { return .open }
        do {
            return AccessPolicy(token: try AccessPolicy.token(inFile: authTokenFile), trustsLoopback: authLoopback == "open")
        } catch {
            throw ValidationError("--auth-token-file: \(error)")
        }
    }

    /// The certificate and key, read and checked now so a bad file stops the
    /// server at start-up rather than at the first connection.
    func tls() throws -> ServerTLS? {
        guard let tlsCertFile, let tlsKeyFile else { return nil }
        let certificates: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(tlsCertFile)
        } catch {
            throw ValidationError("--tls-cert-file \(tlsCertFile): not a readable PEM certificate chain (\(error))")
        }
        guard !certificates.isEmpty else { throw ValidationError("--tls-cert-file \(tlsCertFile) holds no certificate") }
        do {
            key = try NIOSSLPrivateKey(file: tlsKeyFile, format: .pem)
        } catch {
            throw ValidationError("--tls-key-file \(tlsKeyFile): not a readable PEM private key (\(error))")
        }
        let tls = ServerTLS(certificatePath: tlsCertFile, keyPath: tlsKeyFile, certificates: certificates, key: key)
        do {
            _ = try NIOSSLContext(configuration: tls.web)
        } catch {
            throw ValidationError("--tls-key-file \(tlsKeyFile) does not fit --tls-cert-file \(tlsCertFile) (\(error))")
        }
        return tls
    }
}

/// A checked certificate chain and key, as each server needs them.
struct ServerTLS {
    let certificatePath: String
    let keyPath: String
    let certificates: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey

    var grpc: HTTP2ServerTransport.Posix.TransportSecurity {
        .tls(certificateChain: [.file(path: certificatePath, format: .pem)], privateKey: .file(path: keyPath, format: .pem))
    }

    var web: TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}
