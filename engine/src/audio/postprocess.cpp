#include "audio/postprocess.h"

#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace foley::audio {

Tensor resample(const Tensor& planar, int in_rate, int out_rate) {
  if (planar.ndim() != 2) throw EngineError("resample: expected planar [channels, frames] audio");
  if (in_rate == out_rate) return planar;
  if (in_rate <= 0 || out_rate <= 0) throw EngineError("resample: sample rates must be positive");
  const int64_t channels = planar.dim(0), n = planar.dim(1);
  const int64_t m = static_cast<int64_t>(std::llround(static_cast<double>(n) * out_rate / in_rate));
  Tensor out({channels, m});
  // Interleaved format with one channel per call (the split format would expect an array
  // of channel pointers).
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_VHQ, 0);
  // One worker thread: the engine already uses every core, and soxr's result must not
  // depend on its thread count.
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  for (int64_t c = 0; c < channels; ++c) {
    size_t done = 0;
    soxr_error_t err = soxr_oneshot(in_rate, out_rate, 1, planar.data() + c * n, static_cast<size_t>(n), nullptr,
                                    out.data() + c * m, static_cast<size_t>(m), &done, &io, &quality, &runtime);
    if (err) throw EngineError(std::string("resample: soxr failed: ") + err);
  }
  return out;
}

void normalize_peak(Tensor& planar) {
  float peak = 0;
  for (int64_t i = 0; i < planar.numel(); ++i) {
    const float a = std::fabs(planar[i]);
    if (a > peak || std::isnan(a)) peak = std::isnan(a) ? peak : a;
  }
  if (!(peak >= kSilencePeak)) return;
  const float scale = kTargetPeak / peak;
  for (int64_t i = 0; i < planar.numel(); ++i) planar[i] *= scale;
}

std::vector<int16_t> to_pcm16(const Tensor& planar, int in_rate, int out_rate, int64_t frames) {
  Tensor audio = resample(planar, in_rate, out_rate);
  const int64_t channels = audio.dim(0), have = audio.dim(1);
  // Trim (or zero-pad) to exactly `frames`, then normalise what is kept.
  Tensor trimmed({channels, frames});
  const int64_t copy = std::min(have, frames);
  for (int64_t c = 0; c < channels; ++c) {
    std::copy(audio.data() + c * have, audio.data() + c * have + copy, trimmed.data() + c * frames);
  }
  normalize_peak(trimmed);
  std::vector<int16_t> pcm(static_cast<std::size_t>(channels * frames));
  for (int64_t f = 0; f < frames; ++f) {
    for (int64_t c = 0; c < channels; ++c) {
      float v = trimmed[c * frames + f];
      if (std::isnan(v)) v = 0;
      v = std::clamp(v, -1.0f, 1.0f);
      pcm[static_cast<std::size_t>(f * channels + c)] = static_cast<int16_t>(std::lrint(v * 32767.0f));
    }
  }
  return pcm;
}

}  // namespace foley::audio
