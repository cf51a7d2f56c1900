// ops::fold_nearest_upsample + conv_transpose1d against the definition it replaces: repeat every
// frame s times, pad as PyTorch's "same" (s-1 zeros left, s right), convolve with k = 2s.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "ops/nearest_upsample.h"
#include "ops/nn.h"

namespace foley::ops {
namespace {

std::vector<float> random_vector(std::size_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// The definition, written out: y[co, n] = sum_ci sum_k w[co, ci, k] u[ci, n - (s-1) + k].
std::vector<float> repeat_then_conv(const std::vector<float>& x, int64_t cin, int64_t t, const std::vector<float>& w,
                                    int64_t cout, int64_t s) {
  const int64_t tout = t * s;
  std::vector<float> y(static_cast<std::size_t>(cout * tout), 0.0f);
  for (int64_t co = 0; co < cout; ++co) {
    for (int64_t n = 0; n < tout; ++n) {
      double acc = 0.0;
      for (int64_t ci = 0; ci < cin; ++ci) {
        for (int64_t k = 0; k < 2 * s; ++k) {
          const int64_t m = n - (s - 1) + k;
          if (m < 0 || m >= tout) continue;
          acc += static_cast<double>(w[static_cast<std::size_t>((co * cin + ci) * 2 * s + k)]) *
                 x[static_cast<std::size_t>(ci * t + m / s)];
        }
      }
      y[static_cast<std::size_t>(co * tout + n)] = static_cast<float>(acc);
    }
  }
  return y;
}

std::vector<float> folded(const std::vector<float>& x, int64_t cin, int64_t t, const std::vector<float>& w,
                          int64_t cout, int64_t s) {
  const std::vector<float> wt = fold_nearest_upsample(w.data(), cout, cin, s);
  const int64_t k = nearest_upsample_kernel(s);
  EXPECT_EQ(conv_transpose1d_output_length(t, k, s, s), t * s);
  std::vector<float> y(static_cast<std::size_t>(cout * t * s));
  ConvScratch scratch;
  conv_transpose1d(x.data(), cin, t, wt.data(), cout, k, nullptr, s, s, y.data(), scratch);
  return y;
}

TEST(NearestUpsample, FoldedTransposedConvEqualsRepeatThenConv) {
  std::mt19937 rng(7);
  for (int64_t s : {1, 2, 3, 4, 8}) {
    const int64_t cin = 5, cout = 3, t = 9;
    const auto x = random_vector(static_cast<std::size_t>(cin * t), rng);
    const auto w = random_vector(static_cast<std::size_t>(cout * cin * 2 * s), rng);
    const auto want = repeat_then_conv(x, cin, t, w, cout, s);
    const auto got = folded(x, cin, t, w, cout, s);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4) << "stride " << s << " at " << i;
  }
}

TEST(NearestUpsample, ConstantInputGivesConstantOutputAwayFromTheEdges) {
  std::mt19937 rng(3);
  const int64_t cin = 4, cout = 2, t = 12, s = 8;
  const std::vector<float> x(static_cast<std::size_t>(cin * t), 0.7f);
  const auto w = random_vector(static_cast<std::size_t>(cout * cin * 2 * s), rng);
  const auto y = folded(x, cin, t, w, cout, s);
  for (int64_t co = 0; co < cout; ++co) {
    const float first = y[static_cast<std::size_t>(co * t * s + 2 * s)];
    for (int64_t n = 2 * s; n < (t - 2) * s; ++n) EXPECT_NEAR(y[static_cast<std::size_t>(co * t * s + n)], first, 1e-4);
  }
}

}  // namespace
}  // namespace foley::ops
