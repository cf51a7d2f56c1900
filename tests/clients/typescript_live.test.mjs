// The TypeScript client against a real `foley serve` (tiny model) on loopback.
// run_typescript_live.py starts the servers and passes their URLs and keys in the
// environment (see live_server.TestServers.environment); FOLEY_TS_DIST is the built SDK.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const env = process.env;
const foley = await import(pathToFileURL(join(env.FOLEY_TS_DIST, "src", "index.js")).href);
const { Client } = foley;
const DURATION = 1.0;
const noRetry = { maxAttempts: 1 };
const main = (apiKey = env.FOLEY_API_KEY, retry = noRetry) => new Client({ apiKey, baseUrl: env.FOLEY_BASE_URL, retry });
const tight = (apiKey, retry = noRetry) => new Client({ apiKey, baseUrl: env.FOLEY_TIGHT_URL, retry });

/** Parses the RIFF header: [sample rate, channels, bits, frames]. */
function wavShape(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), "RIFF");
  let offset = 12;
  let format;
  while (offset + 8 <= bytes.length) {
    const id = new TextDecoder().decode(bytes.subarray(offset, offset + 4));
    const size = view.getUint32(offset + 4, true);
    if (id === "fmt ") format = { channels: view.getUint16(offset + 10, true), rate: view.getUint32(offset + 12, true), bits: view.getUint16(offset + 22, true) };
    if (id === "data") return [format.rate, format.channels, format.bits, size / format.channels / (format.bits / 8)];
    offset += 8 + size + (size % 2);
  }
  throw new Error("no data chunk");
}

async function rejectsWith(promise, cls, code) {
  let caught;
  await assert.rejects(promise, (error) => {
    caught = error;
    return error instanceof cls;
  });
  assert.equal(caught.code, code);
  assert.ok(caught.message.length > 0);
  assert.match(caught.requestId, /^req/);
  assert.equal(caught.requestId, caught.headers.get("x-request-id"));
  return caught;
}

describe("every error code surfaces as its class", () => {
  it("BAD_REQUEST", async () => {
    await rejectsWith(main().request("POST", foley.GENERATE_PATH, { body: "{not json", headers: { "Content-Type": "application/json" } }), foley.BadRequest, "BAD_REQUEST");
    const error = await rejectsWith(main().request("POST", foley.GENERATE_PATH, { json: { args: { prompt: "x", colour: 1 } } }), foley.BadRequest, "BAD_REQUEST");
    assert.match(error.message, /colour/);
  });
  it("UNAUTHORIZED", async () => {
    await rejectsWith(main("").generate("x"), foley.Unauthorized, "UNAUTHORIZED");
    await rejectsWith(main("fk_0000_nope").generate("x"), foley.Unauthorized, "UNAUTHORIZED");
    await rejectsWith(main(env.FOLEY_REVOKED_KEY).generate("x"), foley.Unauthorized, "UNAUTHORIZED");
  });
  it("NOT_FOUND", async () => {
    await rejectsWith(main().request("GET", "/v1/no-such-thing"), foley.NotFound, "NOT_FOUND");
    await rejectsWith(main().generate("x", { model: "no-such-model", duration: DURATION }), foley.NotFound, "NOT_FOUND");
  });
  it("METHOD_NOT_ALLOWED", async () => {
    const error = await rejectsWith(main().request("GET", foley.GENERATE_PATH), foley.MethodNotAllowed, "METHOD_NOT_ALLOWED");
    assert.match(error.headers.get("allow") ?? "", /POST/);
  });
  it("PAYLOAD_TOO_LARGE", async () => {
    await rejectsWith(main().generate("x".repeat(70000)), foley.PayloadTooLarge, "PAYLOAD_TOO_LARGE");
  });
  it("UNSUPPORTED_MEDIA_TYPE", async () => {
    await rejectsWith(main().request("POST", foley.GENERATE_PATH, { body: '{"args":{"prompt":"x"}}', headers: { "Content-Type": "text/plain" } }), foley.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE");
  });
  it("VALIDATION_ERROR names the field", async () => {
    const error = await rejectsWith(main().generate("x", { cfg: 12 }), foley.ValidationError, "VALIDATION_ERROR");
    assert.match(error.message, /cfg/);
    await rejectsWith(main().generate("x", { n: 5 }), foley.ValidationError, "VALIDATION_ERROR");
    await rejectsWith(main().generate("  "), foley.ValidationError, "VALIDATION_ERROR");
  });
  it("RATE_LIMITED with Retry-After", async () => {
    const client = tight(env.FOLEY_RATE_KEY);
    let error;
    for (let i = 0; i < 10 && !error; i++) {
      try {
        await client.generate("x", { cfg: 12 });
      } catch (e) {
        if (e instanceof foley.RateLimited) error = e;
        else assert.ok(e instanceof foley.ValidationError);
      }
    }
    assert.ok(error, "no 429 within 10 requests against a limit of 3");
    assert.equal(error.code, "RATE_LIMITED");
    assert.ok(error.retryAfter >= 0);
  });
  it("QUEUE_FULL, and retries end at the deadline", async () => {
    const error = await rejectsWith(tight(env.FOLEY_QUEUE_KEY).generate("x", { n: 3, duration: DURATION }), foley.QueueFull, "QUEUE_FULL");
    assert.ok(error.retryAfter !== undefined);
    const started = Date.now();
    await assert.rejects(tight(env.FOLEY_QUEUE_KEY, { deadlineMs: 3000, maxAttempts: 1000, baseBackoffMs: 200, maxBackoffMs: 500 }).generate("x", { n: 3, duration: DURATION }),
      (e) => e instanceof foley.QueueFull || e instanceof foley.RateLimited);
    assert.ok(Date.now() - started < 8000); // the deadline, not the attempts, ended it
  });
});

describe("generation", () => {
  it("returns a WAV of the requested length", async () => {
    assert.deepEqual(wavShape(await main().generate("door creaks", { seed: 42, duration: DURATION })), [48000, 2, 16, 48000 * DURATION]);
  });
  it("FLAC on request", async () => {
    const [clip] = await main().generateClips("rain", { seed: 1, duration: DURATION, format: "flac" });
    assert.equal(clip.format, "flac");
    assert.equal(new TextDecoder().decode(clip.audio.subarray(0, 4)), "fLaC");
  });
  it("n variants have consecutive seeds and reproduce alone", async () => {
    const clips = await main().generate("footsteps on gravel", { seed: 100, n: 3, duration: DURATION });
    assert.deepEqual(clips.map((c) => c.seed), [100, 101, 102]);
    assert.equal(new Set(clips.map((c) => Buffer.from(c.audio).toString("base64"))).size, 3);
    const alone = await main().generate("footsteps on gravel", { seed: 101, duration: DURATION });
    assert.deepEqual(alone, clips[1].audio);
  });
  it("parallel variants have distinct seeds", async () => {
    const clips = await tight(env.FOLEY_VARIANTS_KEY, {}).generateVariants("glass shatters", 4, { concurrency: 2, duration: DURATION });
    const seeds = clips.map((c) => c.seed);
    assert.equal(new Set(seeds).size, 4);
    assert.deepEqual(seeds, seeds.map((_, i) => foley.wrapInt32(seeds[0] + i)));
  });
  it("a burst beyond the rate limit completes with retries", async () => {
    const started = Date.now();
    const clips = await tight(env.FOLEY_BURST_KEY, { deadlineMs: 300_000, maxAttempts: 100 }).generateVariants("thunder", 9, { concurrency: 9, seed: 7, duration: DURATION });
    assert.deepEqual(clips.map((c) => c.seed), [7, 8, 9, 10, 11, 12, 13, 14, 15]);
    for (const clip of clips) assert.deepEqual(wavShape(clip.audio), [48000, 2, 16, 48000 * DURATION]);
    assert.ok(Date.now() - started >= 2000, "the burst should have had to wait for the window");
  });
});

describe("discovery", () => {
  it("models, health and the served documents", async () => {
    const client = main();
    assert.equal(await client.healthz(), true);
    assert.equal(await client.readyz(), true);
    const models = await client.models();
    assert.ok(models.length >= 1);
    assert.equal(models[0].sample_rate, 48000);
    assert.equal(models[0].channels, 2);
    assert.equal((await client.openapi()).openapi, "3.1.0");
    assert.match(await client.integrationPrompt(), /^# Foley/);
  });
});
