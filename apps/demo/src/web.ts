import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { DemoState } from "./state.js";
import type { Thumbnails } from "./thumbnails.js";

const PAGE = readFileSync(new URL("./dashboard.html", import.meta.url));

/** Dashboard is the demo's web server: the page, its JSON, thumbnails and /metrics. */
export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}

/** startDashboard serves GET /, /api/state, /thumbnails/<id>.jpg and /metrics. */
export async function startDashboard(options: {
  readonly host: string;
  readonly port: number;
  readonly state: DemoState;
  readonly thumbnails: Thumbnails;
  readonly metrics: Registry;
}): Promise<Dashboard> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(405, "text/plain", "method not allowed\n");
      return;
    }
    if (path === "/") {
      send(200, "text/html; charset=utf-8", PAGE);
    } else if (path === "/api/state") {
      send(200, "application/json", JSON.stringify(options.state.snapshot()));
    } else if (path.startsWith("/thumbnails/") && path.endsWith(".jpg")) {
      const id = decodeURIComponent(path.slice("/thumbnails/".length, -".jpg".length));
      const thumb = options.thumbnails.get(id);
      if (thumb === undefined) send(404, "text/plain", "no thumbnail yet\n");
      else send(200, "image/jpeg", thumb.jpeg);
    } else if (path === "/metrics") {
      options.metrics
        .metrics()
        .then((text) => send(200, options.metrics.contentType, text))
        .catch((e: unknown) => send(500, "text/plain", `${(e as Error).message}\n`));
    } else {
      send(404, "text/plain", "not found\n");
    }
  });
  server.on("clientError", (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
