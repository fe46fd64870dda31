import Foundation
import Hummingbird
import HummingbirdTLS
import JobService
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The dashboard's HTTP server (Hummingbird): the pages and their assets,
/// the JSON API (`WebAPI`) and Prometheus `/metrics`, on `--web-port`. Runs
/// in the server's service group; never drives execution except Cancel and Drain.
/// Every route but `/login` passes `WebAccess` first; with `tls` it serves HTTPS only.
public struct WebServer: Service {
    let api: WebAPI
    let exporter: PrometheusExporter
    let host: String
    let port: Int
    let access: WebAccess
    let tls: TLSConfiguration?
    let logger: Logger

    public init(jobs: JobRegistry, exporter: PrometheusExporter, host: String, port: Int,
                access: AccessPolicy = .open, tls: TLSConfiguration? = nil, logger: Logger) {
        self.api = WebAPI(jobs: jobs)
        self.exporter = exporter
        self.host = host
        self.port = port
        self.access = WebAccess(policy: access)
        self.tls = tls
        self.logger = logger
    }

    public func run() async throws {
        let router = Router(context: WebRequestContext.self)
        router.add(middleware: AccessMiddleware(access: access))
        addSignIn(to: router)
        addRoutes(to: router)
        let advertised = ["0.0.0.0", "::"].contains(host) ? "localhost" : host
        let scheme = tls == nil ? "http" : "https"
        let app = Application(
            router: router,
            server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname(host, port: port), serverName: "beam-job-server"),
            onServerRunning: { [logger] channel in
                logger.info("web UI on \(scheme)://\(advertised):\(channel.localAddress?.port ?? port)")
            },
            logger: logger)
        // run(), not runService(): the latter starts a service group of its own that also
        // catches SIGTERM and could end before ours asks it to ("finished unexpectedly").
        try await app.run()
    }

    private func addRoutes(to router: Router<WebRequestContext>) {
        router.get("/") { _, _ in Self.page(WebAssets.indexHTML, type: "text/html; charset=utf-8") }
        router.get("/jobs/:id") { _, _ in Self.page(WebAssets.jobHTML, type: "text/html; charset=utf-8") }
        router.get("/assets/app.css") { _, _ in Self.page(WebAssets.css, type: "text/css; charset=utf-8") }
        router.get("/assets/app.js") { _, _ in Self.page(WebAssets.javascript, type: "text/javascript; charset=utf-8") }
        router.get("/metrics") { [exporter] _, _ in
            Self.page(exporter.scrape(), type: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/api/jobs") { [api] request, _ in
            Self.json(api.listJobs(states: request.uri.queryParameters.get("state")))
        }
        router.get("/api/jobs/:id") { [api] _, context in Self.json(api.job(try context.parameters.require("id"))) }
        router.get("/api/jobs/:id/graph") { [api] _, context in Self.json(api.graph(try context.parameters.require("id"))) }
        router.get("/api/jobs/:id/metrics") { [api] _, context in Self.json(api.metrics(try context.parameters.require("id"))) }
        router.get("/api/jobs/:id/logs") { [api] request, context in
            let query = request.uri.queryParameters
            return Self.json(api.logs(try context.parameters.require("id"), after: query.get("after"), minimum: query.get("min")))
        }
        router.post("/api/jobs/:id/cancel") { [api] _, context in Self.json(api.cancel(try context.parameters.require("id"))) }
        router.post("/api/jobs/:id/drain") { [api] _, context in Self.json(api.drain(try context.parameters.require("id"))) }
    }

    /// `/login`: the form, and its POST, which sets the session cookie and
    /// returns to the page the visitor first asked for.
    private func addSignIn(to router: Router<WebRequestContext>) {
        router.get("/login") { request, _ in
            Self.page(WebAccess.signInPage(next: WebAccess.safeNext(request.uri.queryParameters.get("next")), failed: false),
                      type: "text/html; charset=utf-8")
        }
        router.post("/login") { [access, secure = tls != nil] request, _ in
            let body = try await request.body.collect(upTo: 64 << 10)
            let fields = WebAccess.formFields(String(buffer: body))
            let next = WebAccess.safeNext(fields["next"])
            guard let session = access.signIn(token: fields["token"] ?? "") else {
                var refused = Self.page(WebAccess.signInPage(next: next, failed: true), type: "text/html; charset=utf-8")
                refused.status = .unauthorized
                return refused
            }
            var response = Response(status: .seeOther, headers: [.location: next, .cacheControl: "no-store"])
            response.setCookie(Cookie(name: WebAccess.cookieName, value: session, path: "/", secure: secure,
                                      httpOnly: true, sameSite: .strict))
            return response
        }
    }

    private static func page(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private static func json(_ reply: WebAPI.Reply) -> Response {
        Response(status: HTTPResponse.Status(code: reply.status),
                 headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: reply.body)))
    }
}

/// Applies `WebAccess` to every request before its route.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext
    let access: WebAccess

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        var caller = WebAccess.Caller()
        caller.method = request.method.rawValue
        caller.path = request.uri.path
        caller.peerHost = context.remoteAddress?.ipAddress
        caller.host = request.head.authority  // HTTP/1's Host header
        caller.origin = request.headers[.origin]
        caller.fetchSite = request.headers.first { $0.name.canonicalName == "sec-fetch-site" }?.value
        caller.authorization = request.headers[.authorization]
        caller.sessionCookie = request.cookies[WebAccess.cookieName]?.value
        switch access.decide(caller) {
        case .pass:
            return try await next(request, context)
        case .refuse(let message):
            return Self.error(.unauthorized, message, extra: [.wwwAuthenticate: "Bearer realm=\"beam-job-server\""])
        case .forbid(let message):
            return Self.error(.forbidden, message)
        case .signIn(let next):
            return Response(status: .unauthorized, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: WebAccess.signInPage(next: next, failed: false))))
        }
    }

    private static func error(_ status: HTTPResponse.Status, _ message: String, extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(string: JSONValue.object([("error", .string(message))]).rendered)))
    }
}
