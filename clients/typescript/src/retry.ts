// When and how long to wait before retrying. The API asks clients to honour Retry-After on
// 429 (the rate-limit window says exactly when a request will be allowed) and to back off
// exponentially on 503 (a saturated queue drains at an unknown pace); network errors are
// treated like 503. Every wait is bounded by an overall deadline.

export interface RetryPolicy {
  /** Give up once this many milliseconds have passed since the call started. */
  deadlineMs: number;
  /** Attempts in all for 503s and network errors, the first included; 1 disables every
   *  retry. Waiting out a 429's Retry-After does not use up attempts (the server said
   *  exactly when to come back): only the deadline bounds those waits. */
  maxAttempts: number;
  /** First backoff step; doubles per attempt up to maxBackoffMs. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** Extra random wait added to Retry-After so parallel clients do not return in lockstep. */
  retryAfterJitterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  deadlineMs: 120_000,
  maxAttempts: 10,
  baseBackoffMs: 500,
  maxBackoffMs: 30_000,
  retryAfterJitterMs: 250,
};

/** Exponential backoff with "equal jitter" for a 1-based attempt: half the step fixed, half
 *  random, so waits grow but parallel clients never synchronise. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const step = Math.min(policy.maxBackoffMs, policy.baseBackoffMs * 2 ** (attempt - 1));
  return step / 2 + (random() * step) / 2;
}

/** Milliseconds to wait before retrying, or undefined when the failure is final. `status` is
 *  the HTTP status, or undefined for a network error; `attempt` counts the attempts that
 *  failed other than by a 429 with Retry-After (1 after the first). */
export function waitBeforeRetryMs(
  policy: RetryPolicy,
  status: number | undefined,
  retryAfterSeconds: number | undefined,
  attempt: number,
  random: () => number = Math.random,
): number | undefined {
  if (policy.maxAttempts <= 1) return undefined;
  if (status === 429 && retryAfterSeconds !== undefined) {
    return retryAfterSeconds * 1000 + random() * policy.retryAfterJitterMs;
  }
  if (attempt >= policy.maxAttempts) return undefined;
  if (status === 429) return backoffMs(policy, attempt, random);
  if (status === 503 || status === undefined) {
    const backoff = backoffMs(policy, attempt, random);
    return retryAfterSeconds !== undefined ? Math.max(backoff, retryAfterSeconds * 1000) : backoff;
  }
  return undefined;
}

/** Parses the IETF draft header `"default";r=<left>;t=<reset seconds>`. */
export function parseRateLimit(value: string | null): { remaining: number; resetSeconds: number } | undefined {
  if (!value) return undefined;
  let remaining: number | undefined;
  let resetSeconds: number | undefined;
  for (const part of value.split(";")) {
    const [key, raw] = part.trim().split("=", 2);
    if (key === "r") remaining = Number(raw);
    if (key === "t") resetSeconds = Number(raw);
  }
  if (remaining === undefined || resetSeconds === undefined) return undefined;
  if (!Number.isFinite(remaining) || !Number.isFinite(resetSeconds)) return undefined;
  return { remaining, resetSeconds };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
