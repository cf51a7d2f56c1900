// Unit tests of the TypeScript client against a scripted local HTTP stub (no Foley server).
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import * as foley from "../src/index.js";
import { Client, type RetryPolicy } from "../src/index.js";
import { main as cliMain } from "../src/cli.js";
import { type Recorded, type Reply, WAV, errorReply, wavReply, withStub } from "./stub.js";

const FAST: Partial<RetryPolicy> = { deadlineMs: 10_000, maxAttempts: 10, baseBackoffMs: 10, maxBackoffMs: 50, retryAfterJitterMs: 10 };

describe("errors", () => {
  const cases: [number, string, new (...args: never[]) => foley.ApiError][] = [
    [400, "BAD_REQUEST", foley.BadRequest],
    [401, "UNAUTHORIZED", foley.Unauthorized],
    [404, "NOT_FOUND", foley.NotFound],
    [405, "METHOD_NOT_ALLOWED", foley.MethodNotAllowed],
    [413, "PAYLOAD_TOO_LARGE", foley.PayloadTooLarge],
    [415, "UNSUPPORTED_MEDIA_TYPE", foley.UnsupportedMediaType],
    [422, "VALIDATION_ERROR", foley.ValidationError],
    [429, "RATE_LIMITED", foley.RateLimited],
    [503, "QUEUE_FULL", foley.QueueFull],
    [500, "INTERNAL", foley.InternalError],
  ];
  for (const [status, code, cls] of cases) {
    it(`${code} rejects with ${cls.name} carrying code, message and request id`, async () => {
      await withStub([errorReply(status, code, `${code} happened`, "req-123", { "Retry-After": "0" })], async (stub) => {
        const client = new Client({ apiKey: "k", baseUrl: stub.url, retry: { maxAttempts: 1 } });
        await assert.rejects(client.generate("door"), (error: unknown) => {
          assert.ok(error instanceof cls);
          assert.ok(error instanceof foley.ApiError && error instanceof foley.FoleyError);
          assert.deepEqual([error.status, error.code, error.message, error.requestId], [status, code, `${code} happened`, "req-123"]);
          assert.match(String(error), /req-123/);
          return true;
        });
      });
    });
  }

  it("a body that is not JSON maps by status", async () => {
    await withStub([{ status: 503, body: "<html>busy</html>", headers: { "Content-Type": "text/html", "X-Request-Id": "r9" } }], async (stub) => {
      const client = new Client({ apiKey: "k", baseUrl: stub.url, retry: { maxAttempts: 1 } });
      await assert.rejects(client.generate("x"), (error: unknown) => error instanceof foley.ServiceUnavailable && error.requestId === "r9");
    });
  });

  it("client errors are not retried", async () => {
    await withStub([errorReply(422, "VALIDATION_ERROR"), wavReply()], async (stub) => {
      await assert.rejects(new Client({ apiKey: "k", baseUrl: stub.url, retry: FAST }).generate("x", { cfg: 12 }), foley.ValidationError);
      assert.equal(stub.requests.length, 1);
    });
  });
});

describe("retries", () => {
  it("429 waits Retry-After, then succeeds", async () => {
    await withStub([errorReply(429, "RATE_LIMITED", "slow down", "r", { "Retry-After": "1" }), wavReply()], async (stub) => {
      const started = Date.now();
      const audio = await new Client({ apiKey: "k", baseUrl: stub.url, retry: FAST }).generate("x");
      assert.deepEqual(audio, WAV);
      assert.ok(Date.now() - started >= 1000);
      assert.equal(stub.requests.length, 2);
    });
  });

  it("waiting out 429s does not use up attempts", async () => {
    const script = [...Array.from({ length: 6 }, () => errorReply(429, "RATE_LIMITED", "m", "r", { "Retry-After": "0" })), wavReply()];
    await withStub(script, async (stub) => {
      const client = new Client({ apiKey: "k", baseUrl: stub.url, retry: { deadlineMs: 10_000, maxAttempts: 3, retryAfterJitterMs: 10 } });
      assert.deepEqual(await client.generate("x"), WAV);
      assert.equal(stub.requests.length, 7);
    });
  });

  it("503 backs off, then succeeds", async () => {
    await withStub([errorReply(503, "QUEUE_FULL"), errorReply(503, "QUEUE_FULL"), wavReply()], async (stub) => {
      assert.deepEqual(await new Client({ apiKey: "k", baseUrl: stub.url, retry: FAST }).generate("x"), WAV);
      assert.equal(stub.requests.length, 3);
    });
  });

  it("network errors are retried", async () => {
    await withStub([{ drop: true }, wavReply()], async (stub) => {
      assert.deepEqual(await new Client({ apiKey: "k", baseUrl: stub.url, retry: FAST }).generate("x"), WAV);
      assert.equal(stub.requests.length, 2);
    });
  });

  it("the deadline bounds the retries", async () => {
    await withStub([errorReply(503, "QUEUE_FULL")], async (stub) => {
      const started = Date.now();
      const client = new Client({ apiKey: "k", baseUrl: stub.url, retry: { deadlineMs: 1000, maxAttempts: 1000, baseBackoffMs: 50, maxBackoffMs: 200 } });
      await assert.rejects(client.generate("x"), foley.QueueFull);
      assert.ok(Date.now() - started < 1500);
      assert.ok(stub.requests.length > 2);
    });
  });

  it("a Retry-After beyond the deadline fails at once", async () => {
    await withStub([errorReply(429, "RATE_LIMITED", "m", "r", { "Retry-After": "30" })], async (stub) => {
      const started = Date.now();
      const client = new Client({ apiKey: "k", baseUrl: stub.url, retry: { deadlineMs: 2000 } });
      await assert.rejects(client.generate("x"), (error: unknown) => error instanceof foley.RateLimited && error.retryAfter === 30);
      assert.ok(Date.now() - started < 1000);
    });
  });

  it("an unreachable server rejects with FoleyConnectionError", async () => {
    const url = await withStub([wavReply()], async (stub) => stub.url);
    const client = new Client({ apiKey: "k", baseUrl: url, retry: { deadlineMs: 500, baseBackoffMs: 50, maxBackoffMs: 100 } });
    await assert.rejects(client.generate("x"), foley.FoleyConnectionError);
  });

  it("backoff grows, is bounded and jittered", () => {
    const policy = { ...foley.DEFAULT_RETRY, baseBackoffMs: 500, maxBackoffMs: 4000 };
    assert.equal(foley.backoffMs(policy, 1, () => 0), 250);
    assert.equal(foley.backoffMs(policy, 1, () => 1), 500);
    assert.equal(foley.backoffMs(policy, 3, () => 1), 2000);
    assert.equal(foley.backoffMs(policy, 10, () => 1), 4000);
    assert.equal(foley.waitBeforeRetryMs(policy, 400, undefined, 1), undefined);
    assert.equal(foley.waitBeforeRetryMs({ ...policy, maxAttempts: 2 }, 503, undefined, 2), undefined);
    assert.equal(foley.waitBeforeRetryMs(policy, 429, 3, 1, () => 0), 3000);
    assert.equal(foley.waitBeforeRetryMs(policy, 503, 3, 1, () => 0), 3000);
    assert.deepEqual(foley.parseRateLimit('"default";r=0;t=42'), { remaining: 0, resetSeconds: 42 });
    assert.equal(foley.parseRateLimit('"default";q=10'), undefined);
  });
});

describe("generate", () => {
  it("sends the documented request shape and auth", async () => {
    await withStub([wavReply()], async (stub) => {
      await new Client("secret", stub.url).generate("door", {
        cfg: 3, seed: 5, duration: 1.5, negativePrompt: "music", steps: 4, format: "wav", model: "m1",
      });
      const request = stub.requests[0]!;
      assert.equal(request.method, "POST");
      assert.equal(request.path, "/v1/audio/sound_effect_generate");
      assert.equal(request.headers.authorization, "Bearer secret");
      assert.equal(request.headers["content-type"], "application/json");
      assert.deepEqual(JSON.parse(request.body), {
        model: "m1", args: { prompt: "door", cfg: 3, seed: 5, duration: 1.5, negative_prompt: "music", steps: 4, format: "wav" },
      });
    });
  });

  it("n >= 2 decodes the clips with their seeds", async () => {
    const body = JSON.stringify({ count: 2, sample_rate: 48000, format: "wav", seeds: [7, 8], audios: [btoa("one"), btoa("two")] });
    await withStub([{ body, headers: { "Content-Type": "application/json" } }], async (stub) => {
      const clips = await new Client("k", stub.url).generate("x", { n: 2, seed: 7 });
      assert.deepEqual(clips.map((c) => [c.seed, new TextDecoder().decode(c.audio), c.format]), [[7, "one", "wav"], [8, "two", "wav"]]);
    });
  });

  it("a random seed is reported from X-Seed", async () => {
    await withStub([wavReply(-123)], async (stub) => {
      assert.equal((await new Client("k", stub.url).generateClips("x"))[0]!.seed, -123);
    });
  });

  it("the environment configures the client", async () => {
    await withStub([wavReply()], async (stub) => {
      const saved = { ...process.env };
      process.env.FOLEY_API_KEY = "from-env";
      process.env.FOLEY_BASE_URL = stub.url + "/";
      try {
        await new Client().generate("x");
      } finally {
        process.env = saved;
      }
      assert.equal(stub.requests[0]!.headers.authorization, "Bearer from-env");
    });
  });

  it("wraps seeds in int32", () => {
    assert.equal(foley.wrapInt32(2 ** 31), -(2 ** 31));
    assert.equal(foley.wrapInt32(-(2 ** 31) - 1), 2 ** 31 - 1);
    assert.equal(foley.wrapInt32(5), 5);
  });
});

describe("variants", () => {
  it("a burst beyond the rate limit completes with distinct seeds", async () => {
    // Allows 3 requests per 1 s window like the server's limiter, 429 with Retry-After beyond.
    let windowStart = Date.now();
    let used = 0;
    const limited = (request: Recorded): Reply => {
      if (Date.now() - windowStart >= 1000) {
        windowStart = Date.now();
        used = 0;
      }
      if (used >= 3) return errorReply(429, "RATE_LIMITED", "m", "r", { "Retry-After": "1" });
      used++;
      return wavReply(JSON.parse(request.body).args.seed);
    };
    await withStub(limited, async (stub) => {
      const clips = await new Client({ apiKey: "k", baseUrl: stub.url, retry: FAST }).generateVariants("x", 8, { concurrency: 8, seed: 100 });
      assert.deepEqual(clips.map((c) => c.seed), [100, 101, 102, 103, 104, 105, 106, 107]);
    });
  });

  it("batches with perRequest and wraps seeds", async () => {
    const batch = (request: Recorded): Reply => {
      const args = JSON.parse(request.body).args;
      const seeds = Array.from({ length: args.n ?? 1 }, (_, i) => foley.wrapInt32(args.seed + i));
      if (seeds.length === 1) return wavReply(seeds[0]);
      return { body: JSON.stringify({ count: seeds.length, sample_rate: 48000, format: "wav", seeds, audios: seeds.map(() => btoa("a")) }), headers: { "Content-Type": "application/json" } };
    };
    await withStub(batch, async (stub) => {
      const clips = await new Client("k", stub.url).generateVariants("x", 5, { perRequest: 2, seed: 2 ** 31 - 2 });
      assert.deepEqual(clips.map((c) => c.seed), [2 ** 31 - 2, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31) + 1, -(2 ** 31) + 2]);
    });
  });

  it("rejects bad arguments", async () => {
    const client = new Client("k", "http://127.0.0.1:9");
    await assert.rejects(client.generateVariants("x", 0), RangeError);
    await assert.rejects(client.generateVariants("x", 2, { perRequest: 5 }), RangeError);
  });
});

describe("cli", () => {
  it("generate writes the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "foley-cli-"));
    try {
      await withStub([wavReply()], async (stub) => {
        const out = join(dir, "door.wav");
        const log = console.log;
        console.log = () => {};
        try {
          assert.equal(await cliMain(["--base-url", stub.url, "--api-key", "k", "generate", "door", "-o", out]), 0);
        } finally {
          console.log = log;
        }
        assert.deepEqual(new Uint8Array(await readFile(out)), WAV);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("an error prints its code and request id and exits 1", async () => {
    await withStub([errorReply(401, "UNAUTHORIZED", "bad key", "req-7")], async (stub) => {
      const lines: string[] = [];
      const error = console.error;
      console.error = (line: string) => lines.push(line);
      try {
        assert.equal(await cliMain(["--base-url", stub.url, "--api-key", "k", "generate", "door"]), 1);
      } finally {
        console.error = error;
      }
      assert.match(lines.join("\n"), /UNAUTHORIZED.*req-7/);
    });
  });
});

describe("cancellation", () => {
  it("an aborted signal stops the call and its retries", async () => {
    await withStub([errorReply(503, "QUEUE_FULL")], async (stub) => {
      const controller = new AbortController();
      const client = new Client({ apiKey: "k", baseUrl: stub.url, retry: { ...FAST, baseBackoffMs: 200, maxBackoffMs: 200 } });
      setTimeout(() => controller.abort(new Error("user cancelled")), 300);
      const started = Date.now();
      await assert.rejects(client.generate("x", { signal: controller.signal }), /user cancelled/);
      assert.ok(Date.now() - started < 2000);
    });
  });
});
