// Precision::kBF16: the DiT's large linears run through oneDNN BF16 matmuls (when the CPU has
// AVX-512 BF16); the output must stay close to the float32 parity path.
#include <gtest/gtest.h>

#include <cmath>

#include "io/safetensors.h"
#include "ops/linear_weight.h"
#include "pipeline/saos_model.h"
#include "test_util.h"

namespace foley {
namespace {

TEST(Bf16, DitCloseToFloat32) {
  const auto dir = testing::data_dir() / "saos-tiny";
  auto f32 = SaosModel::load(dir, Precision::kF32);
  auto bf16 = SaosModel::load(dir, Precision::kBF16);
  auto cases = io::SafetensorsFile::open(dir / "cases.safetensors");
  const Tensor x = cases->load_f32("dit.x"), t = cases->load_f32("dit.t");
  const Tensor ctx = cases->load_f32("dit.cross_attn_cond"), g = cases->load_f32("dit.global_cond");
  const int batch = static_cast<int>(x.dim(0)), frames = static_cast<int>(x.dim(2)), nc = static_cast<int>(ctx.dim(1));
  Tensor a(x.shape()), b(x.shape());
  f32->dit().forward(x.data(), t.data(), ctx.data(), g.data(), batch, frames, nc, a.data());
  bf16->dit().forward(x.data(), t.data(), ctx.data(), g.data(), batch, frames, nc, b.data());
  double dot = 0, na = 0, nb = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  const double cosine = dot / std::sqrt(na * nb);
  EXPECT_GT(cosine, 0.999) << "bf16 available: " << ops::bf16_available();
  if (!ops::bf16_available()) {
    EXPECT_EQ(cosine, 1.0);  // falls back to float32 exactly
  }
}

TEST(Bf16, DecoderCloseToFloat32) {
  const auto dir = testing::data_dir() / "saos-tiny";
  auto f32 = SaosModel::load(dir, Precision::kF32);
  auto bf16 = SaosModel::load(dir, Precision::kBF16);
  auto cases = io::SafetensorsFile::open(dir / "cases.safetensors");
  const Tensor z = cases->load_f32("decode.latent");
  const Tensor a = f32->decoder().decode(z.data(), z.dim(2));
  const Tensor b = bf16->decoder().decode(z.data(), z.dim(2));
  ASSERT_EQ(a.shape(), b.shape());
  double dot = 0, na = 0, nb = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  EXPECT_GT(dot / std::sqrt(na * nb), 0.999);
}

TEST(Bf16, ConversionRoundsToNearestEven) {
  EXPECT_EQ(ops::float_to_bf16(1.0f), 0x3f80);
  const float values[20] = {1.0f, -2.5f, 3.14159f, 1e-20f, 65504.0f, 1.00390625f, 1.01171875f, 0.0f, -0.0f, 7.0f,
                            1.0f, -2.5f, 3.14159f, 1e-20f, 65504.0f, 1.00390625f, 1.01171875f, 0.0f, -0.0f, 7.0f};
  uint16_t bulk[20];
  ops::floats_to_bf16(values, bulk, 20);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(bulk[i], ops::float_to_bf16(values[i])) << i;
}

}  // namespace
}  // namespace foley
