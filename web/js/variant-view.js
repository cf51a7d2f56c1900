// One generated (or shared) clip: player, waveform, spectrogram, seed and downloads.
import { h } from './dom.js';
import { decodeAudio, mixdown, drawWaveform, drawSpectrogram } from './audio-view.js';

// Fetches the audio, decodes it and draws both views; returns the object URL for <audio>.
export async function loadAndDraw(url, { waveform, spectrogramCanvas, audio }) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`Could not load the audio (HTTP ${response.status}).`);
  const bytes = await response.arrayBuffer();
  const type = response.headers.get('Content-Type') || 'audio/wav';
  const objectUrl = URL.createObjectURL(new Blob([bytes], { type }));
  if (audio) audio.src = objectUrl;
  const decoded = await decodeAudio(bytes);
  const samples = mixdown(decoded);
  // Draw after layout so the canvases have their real size.
  await new Promise((resolve) => requestAnimationFrame(resolve));
  drawWaveform(waveform, samples);
  drawSpectrogram(spectrogramCanvas, samples);
  waveform.dataset.drawn = 'true';
  spectrogramCanvas.dataset.drawn = 'true';
  return { objectUrl, duration: decoded.duration };
}

export function vizCanvases(label) {
  const waveform = h('canvas', { class: 'waveform', role: 'img', 'aria-label': `Waveform of ${label}` });
  const spectrogramCanvas = h('canvas', { class: 'spectrogram', role: 'img', 'aria-label': `Spectrogram of ${label}` });
  return { waveform, spectrogramCanvas, element: h('div', { class: 'viz' }, waveform, spectrogramCanvas) };
}
