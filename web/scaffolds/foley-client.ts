// Minimal Foley client (Node 18+ or any runtime with fetch). Set FOLEY_URL and FOLEY_API_KEY.
// Retries 429 and 503 with exponential backoff, honouring Retry-After.

export interface GenerateArgs {
  prompt: string;
  cfg?: number;            // 0..10, default 4.5
  seed?: number;           // int32; omit for random
  n?: number;              // 1..4 variants (variant i uses seed + i)
  duration?: number;       // seconds
  negative_prompt?: string;
  steps?: number;
  format?: 'wav' | 'flac';
}

export class FoleyError extends Error {
  constructor(public status: number, public code: string, message: string, public requestId?: string) {
    super(`${status} ${code}: ${message}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function generate(args: GenerateArgs, options: { baseUrl?: string; apiKey?: string; maxRetries?: number } = {}): Promise<Uint8Array[]> {
  const baseUrl = options.baseUrl ?? process.env.FOLEY_URL ?? 'http://127.0.0.1:8080';
  const apiKey = options.apiKey ?? process.env.FOLEY_API_KEY;
  if (!apiKey) throw new Error('Set FOLEY_API_KEY (create a key on the API keys page).');
  const maxRetries = options.maxRetries ?? 5;
  for (let attempt = 0; ; attempt += 1) {
    const response = await fetch(`${baseUrl}/v1/audio/sound_effect_generate`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ args }),
    });
    if (response.ok) {
      if ((response.headers.get('Content-Type') ?? '').startsWith('application/json')) {
        const body = (await response.json()) as { audios: string[] };
        return body.audios.map((b64) => Uint8Array.from(Buffer.from(b64, 'base64')));
      }
      return [new Uint8Array(await response.arrayBuffer())];
    }
    const error = (await response.json().catch(() => ({}))) as { code?: string; message?: string; request_id?: string };
    const retryable = response.status === 429 || response.status === 503;
    if (!retryable || attempt >= maxRetries) {
      throw new FoleyError(response.status, error.code ?? 'HTTP', error.message ?? response.statusText, error.request_id);
    }
    const retryAfter = Number(response.headers.get('Retry-After'));
    const backoff = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
    await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff);
  }
}
