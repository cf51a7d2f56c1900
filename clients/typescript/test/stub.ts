// A scripted local HTTP server: a test double of the network only, for retry and error
// mapping tests that need no Foley server. Each request gets the next scripted reply.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Reply {
  status?: number;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Destroy the socket without answering: a network error for the client. */
  drop?: boolean;
}

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export type Script = Reply[] | ((request: Recorded) => Reply);

export function errorReply(status: number, code: string, message = "scripted", requestId = "req-stub",
  headers: Record<string, string> = {}): Reply {
  return {
    status,
    body: JSON.stringify({ code, message, request_id: requestId }),
    headers: { "Content-Type": "application/json", "X-Request-Id": requestId, ...headers },
  };
}

export const WAV = new Uint8Array([82, 73, 70, 70, 36, 0, 0, 0, 87, 65, 86, 69]);

export function wavReply(seed = 42, headers: Record<string, string> = {}): Reply {
  return {
    body: WAV,
    headers: {
      "Content-Type": "audio/wav", "X-Request-Id": "req-ok", "X-Seed": String(seed),
      "RateLimit-Policy": '"default";q=10;w=60', RateLimit: '"default";r=9;t=60', ...headers,
    },
  };
}

export class Stub {
  readonly requests: Recorded[] = [];
  private server: Server;
  url = "";

  constructor(private script: Script) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const recorded = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() };
        this.requests.push(recorded);
        const reply = typeof this.script === "function"
          ? this.script(recorded)
          : this.script.length > 1 ? this.script.shift()! : this.script[0]!;
        if (reply.drop) {
          req.socket.destroy();
          return;
        }
        res.writeHead(reply.status ?? 200, reply.headers ?? {});
        res.end(reply.body ?? "");
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Runs `body` with a started stub and always stops it. */
export async function withStub<T>(script: Script, body: (stub: Stub) => Promise<T>): Promise<T> {
  const stub = await new Stub(script).start();
  try {
    return await body(stub);
  } finally {
    await stub.stop();
  }
}
