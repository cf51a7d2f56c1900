// The Foley API client: fetch only, so it runs on Node 20+ and in browsers alike.
// (In a browser, call your own backend: an API key shipped to a page is a public key.)

import { ApiError, FoleyConnectionError, errorFromResponse } from "./errors.js";
import { DEFAULT_RETRY, RetryPolicy, parseRateLimit, sleep, waitBeforeRetryMs } from "./retry.js";

export const DEFAULT_BASE_URL = "http://127.0.0.1:8080";
export const GENERATE_PATH = "/v1/audio/sound_effect_generate";
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export type AudioFormat = "wav" | "flac";

export interface GenerateOptions {
  cfg?: number;
  seed?: number;
  /** Variants in this request, 1..4. */
  n?: number;
  duration?: number;
  negativePrompt?: string;
  steps?: number;
  format?: AudioFormat;
  /** Id of a loaded model (see models()); omitted means the server's default. */
  model?: string;
  /** Cancels the call, retries included. */
  signal?: AbortSignal;
}

export interface VariantOptions extends Omit<GenerateOptions, "n"> {
  /** Parallel requests in flight (default 4). */
  concurrency?: number;
  /** Clips per request, 1..4 (default 1: one request per variant). */
  perRequest?: number;
}

/** One generated audio file and the seed that reproduces it alone with n = 1. */
export interface Clip {
  seed: number;
  audio: Uint8Array;
  format: AudioFormat;
  requestId: string;
}

export interface Model {
  id: string;
  sample_rate: number;
  channels: number;
  max_duration: number;
  default_steps: number;
  [extra: string]: unknown;
}

export interface ClientOptions {
  apiKey?: string;
  baseUrl?: string;
  retry?: Partial<RetryPolicy>;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  retry?: boolean;
  signal?: AbortSignal;
}

/** Seeds of variants wrap in int32, as the server's do (seed + i). */
export function wrapInt32(value: number): number {
  return ((((value - INT32_MIN) % 2 ** 32) + 2 ** 32) % 2 ** 32) + INT32_MIN;
}

function environment(name: string): string | undefined {
  // Browsers have no process; Node has process.env. Read it without needing Node's types.
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name];
}

/** Aborts when either signal does (AbortSignal.any where available: Node >= 20.3). */
function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  const any = (AbortSignal as { any?: (signals: AbortSignal[]) => AbortSignal }).any;
  if (any) return any([a, b]);
  const controller = new AbortController();
  for (const signal of [a, b]) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function mediaType(response: Response): string {
  return (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

export class Client {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly retry: RetryPolicy;
  private readonly fetchImpl: typeof fetch;
  /** Shared by all calls of this client: when the server says the window is spent (429 or
   *  RateLimit r=0), every call holds back until it resets instead of each spending a
   *  request to learn the same thing. */
  private notBefore = 0;

  /** `new Client(apiKey, baseUrl)` or `new Client({ apiKey, baseUrl, retry })`. Defaults
   *  come from FOLEY_API_KEY and FOLEY_BASE_URL where there is an environment (Node). */
  constructor(apiKeyOrOptions?: string | ClientOptions, baseUrl?: string) {
    const options: ClientOptions =
      typeof apiKeyOrOptions === "string" ? { apiKey: apiKeyOrOptions, baseUrl } : { ...apiKeyOrOptions };
    if (baseUrl !== undefined && typeof apiKeyOrOptions !== "string") options.baseUrl = baseUrl;
    this.apiKey = options.apiKey ?? environment("FOLEY_API_KEY") ?? "";
    this.baseUrl = (options.baseUrl ?? environment("FOLEY_BASE_URL") ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** n = 1 (default): the audio file (WAV unless format "flac"). n >= 2: clips with seeds. */
  generate(prompt: string, options?: GenerateOptions & { n?: 1 }): Promise<Uint8Array>;
  generate(prompt: string, options: GenerateOptions & { n: 2 | 3 | 4 }): Promise<Clip[]>;
  generate(prompt: string, options?: GenerateOptions): Promise<Uint8Array | Clip[]>;
  async generate(prompt: string, options: GenerateOptions = {}): Promise<Uint8Array | Clip[]> {
    const clips = await this.generateClips(prompt, options);
    return options.n === undefined || options.n === 1 ? clips[0]!.audio : clips;
  }

  /** Like generate() but always clips; for n = 1 the seed comes from X-Seed, so a random
   *  seed is known. */
  async generateClips(prompt: string, options: GenerateOptions = {}): Promise<Clip[]> {
    const args: Record<string, unknown> = { prompt };
    const fields: [string, unknown][] = [
      ["cfg", options.cfg], ["seed", options.seed], ["n", options.n], ["duration", options.duration],
      ["negative_prompt", options.negativePrompt], ["steps", options.steps], ["format", options.format],
    ];
    for (const [name, value] of fields) if (value !== undefined) args[name] = value;
    const body: Record<string, unknown> = { args };
    if (options.model !== undefined) body.model = options.model;
    const response = await this.request("POST", GENERATE_PATH, { json: body, signal: options.signal });
    const requestId = response.headers.get("x-request-id") ?? "";
    if (mediaType(response) === "application/json") {
      const data = (await response.json()) as { format?: AudioFormat; audios: string[]; seeds: number[] };
      return data.audios.map((audio, i) => ({
        seed: data.seeds[i]!, audio: decodeBase64(audio), format: data.format ?? "wav", requestId,
      }));
    }
    const seedHeader = response.headers.get("x-seed");
    const seed = seedHeader !== null ? Number(seedHeader) : options.seed ?? 0;
    const format: AudioFormat = mediaType(response) === "audio/flac" ? "flac" : "wav";
    return [{ seed, audio: new Uint8Array(await response.arrayBuffer()), format, requestId }];
  }

  /** `count` variants with seeds seed, seed+1, ... (random first seed if omitted) from up to
   *  `concurrency` parallel requests. Calls that hit the rate limit wait for the window to
   *  reset and retry, so a burst larger than the quota completes, only later. */
  async generateVariants(prompt: string, count: number, options: VariantOptions = {}): Promise<Clip[]> {
    const { concurrency = 4, perRequest = 1, ...generateOptions } = options;
    if (!Number.isInteger(count) || count < 1) throw new RangeError("count must be an integer >= 1");
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError("concurrency must be >= 1");
    if (!Number.isInteger(perRequest) || perRequest < 1 || perRequest > 4) {
      throw new RangeError("perRequest must be between 1 and 4 (the API's n)");
    }
    const first = options.seed ?? Math.floor(Math.random() * INT32_MAX);
    const batches: { offset: number; size: number }[] = [];
    for (let offset = 0; offset < count; offset += perRequest) {
      batches.push({ offset, size: Math.min(perRequest, count - offset) });
    }
    const results: Clip[][] = new Array(batches.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < batches.length; i = next++) {
        const { offset, size } = batches[i]!;
        results[i] = await this.generateClips(prompt, { ...generateOptions, seed: wrapInt32(first + offset), n: size });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
    return results.flat();
  }

  async models(): Promise<Model[]> {
    const data = (await (await this.request("GET", "/v1/models")).json()) as { models?: Model[] };
    return data.models ?? [];
  }

  async healthz(): Promise<boolean> {
    return (await this.request("GET", "/healthz", { retry: false })).ok;
  }

  async readyz(): Promise<boolean> {
    try {
      return (await this.request("GET", "/readyz", { retry: false })).ok;
    } catch (error) {
      if (error instanceof ApiError && error.status === 503) return false;
      throw error;
    }
  }

  async openapi(): Promise<Record<string, unknown>> {
    return (await (await this.request("GET", "/openapi.json")).json()) as Record<string, unknown>;
  }

  async integrationPrompt(): Promise<string> {
    return (await this.request("GET", "/v1/integration-prompt")).text();
  }

  /** Sends one request, retrying 429/503/network errors per the retry policy. Resolves with
   *  2xx responses; rejects with an ApiError subclass for error statuses and with
   *  FoleyConnectionError when the server cannot be reached before the deadline. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["Content-Type"] = "application/json";
    }
    Object.assign(headers, options.headers);
    const retry = options.retry ?? true;
    const policy = this.retry;
    const deadline = Date.now() + policy.deadlineMs;

    let failures = 0; // attempts that count against maxAttempts (see RetryPolicy)
    for (;;) {
      const gateDelay = this.notBefore - Date.now();
      if (retry && gateDelay > 0) await sleep(Math.min(gateDelay, Math.max(0, deadline - Date.now())));
      options.signal?.throwIfAborted();
      let failure: Error;
      let status: number | undefined;
      let retryAfter: number | undefined;
      try {
        const timeout = AbortSignal.timeout(Math.max(1000, deadline - Date.now()));
        const signal = options.signal ? eitherSignal(options.signal, timeout) : timeout;
        const response = await this.fetchImpl(this.baseUrl + path, { method, headers, body, signal });
        this.noteRateLimit(response);
        if (response.ok) return response;
        const error = errorFromResponse(response.status, response.headers, await response.text());
        failure = error;
        status = response.status;
        retryAfter = error.retryAfter;
        if (status === 429 && retryAfter !== undefined) this.holdUntil(retryAfter * 1000);
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        failure = new FoleyConnectionError(`cannot reach ${this.baseUrl}${path}: ${String(error)}`, error);
      }
      if (!(status === 429 && retryAfter !== undefined)) failures++;
      const wait = retry ? waitBeforeRetryMs(policy, status, retryAfter, Math.max(failures, 1)) : undefined;
      if (wait === undefined || Date.now() + wait > deadline) throw failure;
      await sleep(wait);
    }
  }

  private holdUntil(msFromNow: number): void {
    this.notBefore = Math.max(this.notBefore, Date.now() + msFromNow);
  }

  private noteRateLimit(response: Response): void {
    const parsed = parseRateLimit(response.headers.get("ratelimit"));
    if (parsed && parsed.remaining <= 0 && response.ok) this.holdUntil(parsed.resetSeconds * 1000);
  }
}
