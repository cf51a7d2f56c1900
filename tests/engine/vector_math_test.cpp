// The engine's vectorised elementwise math (ops::exp_inplace, ops::swiglu) against libm over the
// ranges the DiT feeds them: softmax arguments (≤ 0, down to underflow) and SwiGLU gates.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ops/nn.h"

namespace {

std::vector<float> sweep(float lo, float hi, int n) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(n - 1);
  return v;
}

TEST(VectorMath, ExpMatchesLibmWithinTwoUlp) {
  const std::vector<float> x = sweep(-100.0f, 88.0f, 100003);  // odd length: exercises the scalar tail
  std::vector<float> y = x;
  foley::ops::exp_inplace(y.data(), static_cast<int64_t>(y.size()));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float want = std::exp(x[i]);
    if (x[i] < -87.0f) {  // clamped there: e^-87 ≈ 1.6e-38, as good as 0 for softmax and SiLU
      EXPECT_LE(y[i], 1.7e-38f) << "x=" << x[i];
      continue;
    }
    EXPECT_NEAR(y[i], want, 2.5e-7f * want) << "x=" << x[i];
  }
}

TEST(VectorMath, ExpOfZeroAndSoftmaxRowSumsToOne) {
  std::vector<float> row = {0.0f, -1.0f, -2.0f, -30.0f, -0.5f, -3.0f, -7.0f, -0.25f, -11.0f};
  std::vector<float> e = row;
  foley::ops::exp_inplace(e.data(), static_cast<int64_t>(e.size()));
  EXPECT_EQ(e[0], 1.0f);
  double sum = 0, want = 0;
  for (std::size_t i = 0; i < row.size(); ++i) {
    sum += e[i];
    want += std::exp(static_cast<double>(row[i]));
  }
  EXPECT_NEAR(sum, want, 1e-6);
}

TEST(VectorMath, SwigluMatchesScalarFormula) {
  const std::vector<float> gate = sweep(-40.0f, 40.0f, 4099);
  const std::vector<float> value = sweep(-3.0f, 5.0f, 4099);
  std::vector<float> out(gate.size());
  foley::ops::swiglu(value.data(), gate.data(), out.data(), static_cast<int64_t>(out.size()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double g = gate[i];
    const double want = value[i] * (g / (1.0 + std::exp(-g)));
    EXPECT_NEAR(out[i], want, 1e-6 * std::max(1.0, std::fabs(want))) << "gate=" << gate[i];
  }
}

}  // namespace
