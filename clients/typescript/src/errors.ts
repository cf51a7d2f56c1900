// Typed errors: one class per error code of the Foley API, so callers can write
// `if (e instanceof RateLimited)` instead of comparing strings.

/** Base of every error this package throws. */
export class FoleyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The server could not be reached (refused, reset, timed out) within the deadline. */
export class FoleyConnectionError extends FoleyError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** The server answered with an error status; subclasses name the error code. */
export class ApiError extends FoleyError {
  static readonly CODE: string | undefined = undefined;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string,
    readonly headers: Headers = new Headers(),
  ) {
    super(message);
  }

  override toString(): string {
    return `${this.name}: ${this.status} ${this.code}: ${this.message} (request_id=${this.requestId})`;
  }

  /** Seconds the server asked us to wait (`Retry-After`), if it said. */
  get retryAfter(): number | undefined {
    return parseRetryAfter(this.headers.get("retry-after"));
  }
}

export class BadRequest extends ApiError { static override readonly CODE = "BAD_REQUEST"; }
export class Unauthorized extends ApiError { static override readonly CODE = "UNAUTHORIZED"; }
export class NotFound extends ApiError { static override readonly CODE = "NOT_FOUND"; }
export class MethodNotAllowed extends ApiError { static override readonly CODE = "METHOD_NOT_ALLOWED"; }
export class PayloadTooLarge extends ApiError { static override readonly CODE = "PAYLOAD_TOO_LARGE"; }
export class UnsupportedMediaType extends ApiError { static override readonly CODE = "UNSUPPORTED_MEDIA_TYPE"; }
export class ValidationError extends ApiError { static override readonly CODE = "VALIDATION_ERROR"; }
export class RateLimited extends ApiError { static override readonly CODE = "RATE_LIMITED"; }
export class QueueFull extends ApiError { static override readonly CODE = "QUEUE_FULL"; }
export class InternalError extends ApiError { static override readonly CODE = "INTERNAL"; }
/** A 503 other than QUEUE_FULL (for example /readyz before a model is loaded). */
export class ServiceUnavailable extends ApiError {}

type ApiErrorClass = new (status: number, code: string, message: string, requestId: string, headers?: Headers) => ApiError;

const BY_CODE: Record<string, ApiErrorClass> = Object.fromEntries(
  [BadRequest, Unauthorized, NotFound, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType,
    ValidationError, RateLimited, QueueFull, InternalError].map((cls) => [cls.CODE, cls]),
);

// When the body is missing or unreadable (a proxy's HTML page), the status still says enough.
const BY_STATUS: Record<number, ApiErrorClass> = {
  400: BadRequest, 401: Unauthorized, 404: NotFound, 405: MethodNotAllowed, 413: PayloadTooLarge,
  415: UnsupportedMediaType, 422: ValidationError, 429: RateLimited, 500: InternalError,
  503: ServiceUnavailable,
};

export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value.trim());
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** Builds the error for one error response from its status, headers and body text. */
export function errorFromResponse(status: number, headers: Headers, bodyText: string): ApiError {
  let body: { code?: unknown; message?: unknown; request_id?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed && typeof parsed === "object") body = parsed as typeof body;
  } catch {
    // not JSON: classify by status below
  }
  const code = typeof body.code === "string" ? body.code : "UNKNOWN";
  const cls = BY_CODE[code] ?? BY_STATUS[status] ?? ApiError;
  const message = typeof body.message === "string" ? body.message : `HTTP ${status} with no error body`;
  const requestId = typeof body.request_id === "string" ? body.request_id : headers.get("x-request-id") ?? "";
  return new cls(status, code, message, requestId, headers);
}
