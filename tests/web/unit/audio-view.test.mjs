// The spectrogram maths of web/js/audio-view.js, in Node (no DOM needed for these parts).
import assert from 'node:assert/strict';
import test from 'node:test';
import { spectrogram, formatSeconds } from '../../../web/js/audio-view.js';

function sine(frequency, sampleRate, length) {
  return Float32Array.from({ length }, (_, i) => Math.sin((2 * Math.PI * frequency * i) / sampleRate));
}

test('a pure tone peaks in its own frequency bin in every frame', () => {
  const sampleRate = 48000;
  const fftSize = 512;
  const bin = 40; // 40 * 48000 / 512 = 3750 Hz, exactly on a bin
  const { frames, bins, db } = spectrogram(sine((bin * sampleRate) / fftSize, sampleRate, 48000), { fftSize, columns: 32 });
  assert.equal(bins, fftSize / 2);
  assert.equal(frames, 32);
  for (let f = 0; f < frames; f += 1) {
    const row = db.subarray(f * bins, (f + 1) * bins);
    const peak = row.indexOf(Math.max(...row));
    assert.equal(peak, bin, `frame ${f} peaks at bin ${peak}`);
    // 40 dB above bins far away: the Hann window keeps leakage local.
    assert.ok(row[bin] - row[bin + 20] > 40);
  }
});

test('silence and clips shorter than one window do not break the drawing maths', () => {
  const silent = spectrogram(new Float32Array(2000), { fftSize: 512, columns: 8 });
  assert.ok(silent.db.every((v) => Number.isFinite(v)));
  const tiny = spectrogram(new Float32Array(100).fill(0.5), { fftSize: 512, columns: 64 });
  assert.equal(tiny.frames, 1);
  assert.ok(tiny.db.every((v) => Number.isFinite(v)));
});

test('durations read naturally', () => {
  assert.equal(formatSeconds(0.186), '0.19 s');
  assert.equal(formatSeconds(12.34), '12.3 s');
});
