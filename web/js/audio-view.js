// Draws a decoded clip: a min/max waveform and a log-magnitude spectrogram (short-time
// Fourier transform computed here, in the browser, from the decoded samples).

let sharedContext = null;

// One AudioContext for decoding; browsers limit how many can exist at once.
function audioContext() {
  if (!sharedContext) {
    const Ctor = window.AudioContext || window.webkitAudioContext;
    sharedContext = new Ctor();
  }
  return sharedContext;
}

export async function decodeAudio(arrayBuffer) {
  // decodeAudioData detaches its argument; keep the caller's copy usable.
  return audioContext().decodeAudioData(arrayBuffer.slice(0));
}

// Mono mixdown: the drawings show the clip as heard, not one channel.
export function mixdown(audioBuffer) {
  const length = audioBuffer.length;
  const mono = new Float32Array(length);
  for (let c = 0; c < audioBuffer.numberOfChannels; c += 1) {
    const data = audioBuffer.getChannelData(c);
    for (let i = 0; i < length; i += 1) mono[i] += data[i];
  }
  const scale = 1 / Math.max(1, audioBuffer.numberOfChannels);
  for (let i = 0; i < length; i += 1) mono[i] *= scale;
  return mono;
}

function cssColor(element, name, fallback) {
  const value = getComputedStyle(element).getPropertyValue(name).trim();
  return value || fallback;
}

function prepareCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  canvas.width = width;
  canvas.height = height;
  return { context: canvas.getContext('2d'), width, height };
}

export function drawWaveform(canvas, samples) {
  const { context, width, height } = prepareCanvas(canvas);
  context.fillStyle = cssColor(canvas, '--wave-bg', '#f4f6fb');
  context.fillRect(0, 0, width, height);
  const middle = height / 2;
  context.strokeStyle = cssColor(canvas, '--wave-axis', '#cfd6e4');
  context.beginPath();
  context.moveTo(0, middle + 0.5);
  context.lineTo(width, middle + 0.5);
  context.stroke();
  if (!samples.length) return;
  context.fillStyle = cssColor(canvas, '--wave-fg', '#4f46e5');
  const perColumn = samples.length / width;
  for (let x = 0; x < width; x += 1) {
    const start = Math.floor(x * perColumn);
    const end = Math.max(start + 1, Math.floor((x + 1) * perColumn));
    let low = 1;
    let high = -1;
    for (let i = start; i < end && i < samples.length; i += 1) {
      const v = samples[i];
      if (v < low) low = v;
      if (v > high) high = v;
    }
    const top = middle - Math.max(0, Math.min(1, high)) * middle;
    const bottom = middle - Math.max(-1, Math.min(0, low)) * middle;
    context.fillRect(x, top, 1, Math.max(1, bottom - top));
  }
}

// In-place iterative radix-2 FFT on (re, im) of power-of-two length.
function fft(re, im) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i += 1) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const angle = (-2 * Math.PI) / size;
    const stepRe = Math.cos(angle);
    const stepIm = Math.sin(angle);
    const half = size >> 1;
    for (let start = 0; start < n; start += size) {
      let wRe = 1;
      let wIm = 0;
      for (let k = 0; k < half; k += 1) {
        const a = start + k;
        const b = a + half;
        const tRe = re[b] * wRe - im[b] * wIm;
        const tIm = re[b] * wIm + im[b] * wRe;
        re[b] = re[a] - tRe;
        im[b] = im[a] - tIm;
        re[a] += tRe;
        im[a] += tIm;
        const nextRe = wRe * stepRe - wIm * stepIm;
        wIm = wRe * stepIm + wIm * stepRe;
        wRe = nextRe;
      }
    }
  }
}

// Magnitudes in dB, one column per frame: frames x (fftSize / 2) values.
export function spectrogram(samples, { fftSize = 512, columns = 256 } = {}) {
  const bins = fftSize / 2;
  const window = new Float32Array(fftSize);
  for (let i = 0; i < fftSize; i += 1) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (fftSize - 1));
  const hop = Math.max(1, Math.floor(Math.max(0, samples.length - fftSize) / Math.max(1, columns - 1)));
  const frames = Math.max(1, Math.min(columns, Math.floor(Math.max(0, samples.length - fftSize) / hop) + 1));
  const out = new Float32Array(frames * bins);
  const re = new Float32Array(fftSize);
  const im = new Float32Array(fftSize);
  for (let f = 0; f < frames; f += 1) {
    const offset = f * hop;
    for (let i = 0; i < fftSize; i += 1) {
      const index = offset + i;
      re[i] = index < samples.length ? samples[index] * window[i] : 0;
      im[i] = 0;
    }
    fft(re, im);
    for (let b = 0; b < bins; b += 1) {
      const power = (re[b] * re[b] + im[b] * im[b]) / fftSize;
      out[f * bins + b] = 10 * Math.log10(power + 1e-12);
    }
  }
  return { frames, bins, db: out };
}

// Perceptual colour ramp (dark blue -> purple -> orange -> pale yellow), t in [0, 1].
const RAMP = [
  [0.0, [8, 8, 32]],
  [0.3, [76, 29, 149]],
  [0.6, [219, 39, 119]],
  [0.85, [251, 146, 60]],
  [1.0, [254, 240, 138]],
];

function rampColor(t) {
  for (let i = 1; i < RAMP.length; i += 1) {
    if (t <= RAMP[i][0]) {
      const [t0, c0] = RAMP[i - 1];
      const [t1, c1] = RAMP[i];
      const u = (t - t0) / (t1 - t0);
      return [0, 1, 2].map((k) => Math.round(c0[k] + (c1[k] - c0[k]) * u));
    }
  }
  return RAMP[RAMP.length - 1][1];
}

export function drawSpectrogram(canvas, samples) {
  const { context, width, height } = prepareCanvas(canvas);
  const { frames, bins, db } = spectrogram(samples, { columns: Math.min(512, width) });
  let peak = -Infinity;
  for (const v of db) if (v > peak) peak = v;
  const floor = peak - 80; // 80 dB of dynamic range is what the eye can use here
  const image = context.createImageData(width, height);
  // Log-frequency rows so the low end, where most effects live, is not squashed.
  const minBin = 1;
  for (let y = 0; y < height; y += 1) {
    const fraction = 1 - y / Math.max(1, height - 1);
    const bin = Math.min(bins - 1, Math.round(minBin * Math.pow(bins / minBin, fraction)) - 1 + 1);
    for (let x = 0; x < width; x += 1) {
      const frame = Math.min(frames - 1, Math.floor((x / width) * frames));
      const value = db[frame * bins + Math.max(0, bin)];
      const t = Math.max(0, Math.min(1, (value - floor) / (peak - floor || 1)));
      const [r, g, b] = rampColor(t);
      const p = (y * width + x) * 4;
      image.data[p] = r;
      image.data[p + 1] = g;
      image.data[p + 2] = b;
      image.data[p + 3] = 255;
    }
  }
  context.putImageData(image, 0, 0);
}

export function formatSeconds(seconds) {
  return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
}
