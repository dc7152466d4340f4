import { createServer, type Server } from "node:http";
import { ClusterError } from "./errors.js";
import { type NodeView, nodeMetrics, nodeStatus } from "./node-metrics.js";

/** NodeHttp is a node's HTTP server: `GET /metrics` (Prometheus text) and `GET /status` (JSON). */
export interface NodeHttp {
  /** url is the server's base address (`http://host:port`). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * serveNode serves a node's `/metrics` ({@link nodeMetrics}) and `/status` ({@link nodeStatus})
 * on host:port (0: a free port, see `url`). Anything else is 404; only GET and HEAD are answered (405 otherwise). Throws
 * `PROCESS_FAILED` when the port cannot be bound.
 */
export async function serveNode(
  name: string,
  node: NodeView,
  host: string,
  port: number,
): Promise<NodeHttp> {
  const registry = nodeMetrics(name, node);
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        (e: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(e.message),
      );
    } else if (path === "/status") {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(nodeStatus(name, node)));
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 5000;
  server.requestTimeout = 5000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) =>
      reject(
        new ClusterError(
          "PROCESS_FAILED",
          `node ${name}: cannot serve ${host}:${port}: ${e.message}`,
          {
            cause: e,
          },
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === "object" && address !== null ? address.port : port;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
