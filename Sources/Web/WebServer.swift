import Foundation
import Hummingbird
import JobService
import Logging
import NIOCore
import ServiceLifecycle

/// The dashboard's HTTP server (Hummingbird): the pages and their assets,
/// the JSON API (`WebAPI`) and Prometheus `/metrics`, on `--web-port`. Runs
/// in the server's service group; never drives execution except Cancel and Drain.
public struct WebServer: Service {
    let api: WebAPI
    let exporter: PrometheusExporter
    let host: String
    let port: Int
    let logger: Logger

    public init(jobs: JobRegistry, exporter: PrometheusExporter, host: String, port: Int, logger: Logger) {
        self.api = WebAPI(jobs: jobs)
        self.exporter = exporter
        self.host = host
        self.port = port
        self.logger = logger
    }

    public func run() async throws {
        let router = Router()
        addRoutes(to: router)
        let advertised = ["0.0.0.0", "::"].contains(host) ? "localhost" : host
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "beam-job-server"),
            onServerRunning: { [logger] channel in
                logger.info("web UI on http://\(advertised):\(channel.localAddress?.port ?? port)")
            },
            logger: logger)
        try await app.runService()
    }

    private func addRoutes(to router: Router<BasicRequestContext>) {
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
