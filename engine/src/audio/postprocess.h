// Model-rate float audio -> product PCM: libsoxr very-high-quality resampling to the output
// rate (skipped when equal), trim/pad to exactly round(duration·rate) frames, peak-safe
// normalisation, int16.
//
// Normalisation (the choice, and why): the reference gradio app divides by max|x| so every
// clip peaks at full scale. Foley scales the peak to kTargetPeak (−0.18 dBFS) instead of 1.0
// so int16 rounding can never clip and codecs downstream keep a little inter-sample
// headroom; a clip whose peak is below kSilencePeak (−80 dBFS) is left unscaled, so
// near-silence is never amplified into loud numerical noise.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace foley::audio {

constexpr float kTargetPeak = 0.98f;
constexpr float kSilencePeak = 1e-4f;

// planar [channels, n] at in_rate -> planar [channels, m] at out_rate (soxr VHQ).
Tensor resample(const Tensor& planar, int in_rate, int out_rate);

// Full chain: returns interleaved int16 with exactly `frames` frames per channel.
std::vector<int16_t> to_pcm16(const Tensor& planar, int in_rate, int out_rate, int64_t frames);

// In place on planar float audio: scale so the peak is kTargetPeak (no-op below kSilencePeak).
void normalize_peak(Tensor& planar);

}  // namespace foley::audio
