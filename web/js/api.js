// Talks to the server: the studio's JSON endpoints under /studio/api/ (session cookie +
// CSRF header) and the public /v1 API. Every failure becomes an ApiError whose `message`
// is a sentence a person can act on, whatever the server or the network did.

const FIELD_LABELS = {
  prompt: 'prompt',
  negative_prompt: 'negative prompt',
  cfg: 'CFG (guidance)',
  seed: 'seed',
  n: 'number of variants',
  duration: 'duration',
  steps: 'steps',
  username: 'username',
  password: 'password',
  name: 'name',
  expires_in_days: 'expiry',
};

export class ApiError extends Error {
  constructor(message, { status = 0, code = 'NETWORK', field = null, retryAfter = null, requestId = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
    this.requestId = requestId;
  }
}

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token || null;
}

// The server names the offending field in its message ("args.cfg must be ..."); find it
// so the form can point at the right input.
export function fieldFromMessage(message) {
  const text = String(message || '');
  const dotted = text.match(/\bargs\.([a-z_]+)/);
  if (dotted && FIELD_LABELS[dotted[1]]) return dotted[1];
  const quoted = text.match(/['"`]([a-z_]+)['"`]/);
  if (quoted && FIELD_LABELS[quoted[1]]) return quoted[1];
  for (const field of Object.keys(FIELD_LABELS).sort((a, b) => b.length - a.length)) {
    if (new RegExp(`\\b${field}\\b`).test(text)) return field;
  }
  return null;
}

function sentence(text) {
  const trimmed = String(text || '').trim();
  if (!trimmed) return 'That value is not allowed.';
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function plainWords(status, body, retryAfter) {
  const serverMessage = body && typeof body.message === 'string' ? body.message : '';
  switch (status) {
    case 400:
      return `The request was not understood: ${serverMessage || 'check the form and try again.'}`;
    case 401:
      return serverMessage || 'You need to sign in first.';
    case 403:
      return serverMessage || 'You are not allowed to do that.';
    case 404:
      return serverMessage || 'That item does not exist (any more).';
    case 413:
      return 'The request is too large. Shorten the prompt and try again.';
    case 422: {
      const field = fieldFromMessage(serverMessage);
      if (field === 'username' || field === 'password' || field === 'name') return sentence(serverMessage);
      const label = field ? FIELD_LABELS[field] : null;
      return label
        ? `Check the ${label}: ${serverMessage}.`
        : `A value is out of range: ${serverMessage}.`;
    }
    case 429: {
      const wait = retryAfter != null ? retryAfter : null;
      const base = serverMessage && body.code !== 'RATE_LIMITED' ? serverMessage : 'Too many requests.';
      return wait != null
        ? `${base} Please wait ${wait} second${wait === 1 ? '' : 's'} and try again.`
        : `${base} Please wait a moment and try again.`;
    }
    case 503:
      return retryAfter != null
        ? `The generator is busy right now (the queue is full). Try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`
        : 'The generator is busy right now (the queue is full). Try again in a few seconds.';
    default:
      if (status >= 500) return `Something went wrong on the server${body && body.request_id ? ` (request ${body.request_id})` : ''}. Please try again.`;
      return serverMessage || `The server answered ${status}.`;
  }
}

async function toApiError(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const header = response.headers.get('Retry-After');
  const retryAfter = header != null && /^\d+$/.test(header.trim()) ? Number(header.trim()) : null;
  const message = plainWords(response.status, body, retryAfter);
  return new ApiError(message, {
    status: response.status,
    code: body && body.code ? body.code : 'HTTP_' + response.status,
    field: body ? (body.field || fieldFromMessage(body.message)) : null,
    retryAfter,
    requestId: body && body.request_id ? body.request_id : response.headers.get('X-Request-Id'),
  });
}

// fetch() with the CSRF header on state-changing methods; throws ApiError on failure.
export async function request(path, { method = 'GET', json, headers = {}, signal } = {}) {
  const init = { method, headers: { ...headers }, credentials: 'same-origin', signal };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    // The token comes from GET /studio/api/session (its cookie is HttpOnly, unreadable here).
    if (csrfToken) init.headers['X-CSRF-Token'] = csrfToken;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error && error.name === 'AbortError') throw error;
    throw new ApiError('Could not reach the Foley server. Check that it is running and try again.');
  }
  if (!response.ok) throw await toApiError(response);
  return response;
}

export async function requestJson(path, options) {
  const response = await request(path, options);
  if (response.status === 204) return null;
  return response.json();
}

export const studioApi = {
  session: () => requestJson('/studio/api/session'),
  signUp: (username, password) => requestJson('/studio/api/signup', { method: 'POST', json: { username, password } }),
  signIn: (username, password) => requestJson('/studio/api/signin', { method: 'POST', json: { username, password } }),
  signOut: () => requestJson('/studio/api/signout', { method: 'POST', json: {} }),
  generate: (args, signal) => requestJson('/studio/api/generate', { method: 'POST', json: { args }, signal }),
  models: () => requestJson('/v1/models'),
  plaza: (sort, page) => requestJson(`/studio/api/plaza?sort=${encodeURIComponent(sort)}&page=${page}`),
  share: (clipId) => requestJson('/studio/api/plaza', { method: 'POST', json: { clip_id: clipId } }),
  countPlay: (id) => requestJson(`/studio/api/plaza/${encodeURIComponent(id)}/play`, { method: 'POST', json: {} }),
  deleteShared: (id) => requestJson(`/studio/api/plaza/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  keys: () => requestJson('/studio/api/keys'),
  createKey: (name, expiresInDays) => requestJson('/studio/api/keys', { method: 'POST', json: { name, expires_in_days: expiresInDays } }),
  revokeKey: (id) => requestJson(`/studio/api/keys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  integrationPrompt: async () => (await request('/v1/integration-prompt')).text(),
};
