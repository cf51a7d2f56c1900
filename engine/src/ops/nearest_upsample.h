// Nearest-neighbour upsampling followed by a convolution (stable-audio-tools' Oobleck decoder with
// use_nearest_upsample: nn.Upsample(scale s, "nearest") then Conv1d(k = 2s, padding "same", no
// bias)) computed as one transposed convolution.
//
// Repeating each frame s times makes the conv's input piecewise constant, so output sample
// n = j·s + d (d in [-s, 2s-2]) sees input frame j through the sum of the taps k that land on
// its copies, s-1-d <= k <= 2s-2-d. Those sums form a kernel of 3s taps (the last one zero) for
// a transposed conv with stride s and padding s: the same output with 3 instead of 2s
// multiply-adds per output sample and channel pair, and no upsampled copy of the input.
#pragma once

#include <cstdint>
#include <vector>

namespace foley::ops {

// conv weights w[cout, cin, 2s] -> transposed-conv weights [cin, cout, 3s] for conv_transpose1d
// with stride s and padding s (output length tin·s, as the upsample-then-conv).
std::vector<float> fold_nearest_upsample(const float* w, int64_t cout, int64_t cin, int64_t stride);

inline int64_t nearest_upsample_kernel(int64_t stride) { return 3 * stride; }

}  // namespace foley::ops
