// Public surface of @foley/client. Everything here runs in browsers and on Node 20+.
export {
  Client,
  DEFAULT_BASE_URL,
  GENERATE_PATH,
  wrapInt32,
  type AudioFormat,
  type ClientOptions,
  type Clip,
  type GenerateOptions,
  type Model,
  type RequestOptions,
  type VariantOptions,
} from "./client.js";
export {
  ApiError,
  BadRequest,
  FoleyConnectionError,
  FoleyError,
  InternalError,
  MethodNotAllowed,
  NotFound,
  PayloadTooLarge,
  QueueFull,
  RateLimited,
  ServiceUnavailable,
  Unauthorized,
  UnsupportedMediaType,
  ValidationError,
  errorFromResponse,
} from "./errors.js";
export { DEFAULT_RETRY, backoffMs, parseRateLimit, waitBeforeRetryMs, type RetryPolicy } from "./retry.js";
