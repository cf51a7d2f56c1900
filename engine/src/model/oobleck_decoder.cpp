#include "model/oobleck_decoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/linear_weight.h"
#include "ops/nearest_upsample.h"

namespace foley {

OobleckDecoder::Snake OobleckDecoder::load_snake(const WeightReader& w, int64_t channels) const {
  Snake s;
  if (!config_.use_snake) return s;  // ELU has no parameters
  s.alpha = w.get("alpha", {channels});
  Tensor beta = w.get("beta", {channels});
  s.inv_beta = Tensor({channels});
  for (int64_t c = 0; c < channels; ++c) {
    // Same float32 steps as snake_beta with alpha_logscale: exp, then 1/(β + 1e-9).
    s.alpha[c] = std::exp(s.alpha[c]);
    s.inv_beta[c] = 1.0f / (std::exp(beta[c]) + 1e-9f);
  }
  return s;
}

OobleckDecoder::Conv OobleckDecoder::load_conv(const WeightReader& w, const std::string& module, int64_t in,
                                               int64_t out, int64_t k, int64_t padding, int64_t dilation,
                                               bool bias) const {
  Conv c;
  c.in = in;
  c.out = out;
  c.k = k;
  c.padding = padding;
  c.dilation = dilation;
  c.weight = w.conv_weight(module, {out, in, k});
  if (bias) c.bias = w.get(module + ".bias", {out});
  return c;
}

OobleckDecoder::Conv OobleckDecoder::load_conv_transpose(const WeightReader& w, const std::string& module,
                                                         int64_t in, int64_t out, int64_t stride) const {
  Conv c;
  c.in = in;
  c.out = out;
  c.k = 2 * stride;
  c.stride = stride;
  c.padding = (stride + 1) / 2;  // ceil(stride / 2)
  c.transposed = true;
  c.weight = w.conv_transpose_weight(module, {in, out, c.k});
  c.bias = w.get(module + ".bias", {out});
  return c;
}

// stable-audio-tools' nn.Sequential(nn.Upsample(nearest), WNConv1d(k=2s, padding="same", no bias);
// the conv is module 1), run as the equivalent transposed conv (ops/nearest_upsample.h).
OobleckDecoder::Conv OobleckDecoder::load_nearest_upsample(const WeightReader& w, int64_t in, int64_t out,
                                                           int64_t stride) const {
  const Tensor v = w.conv_weight("1", {out, in, 2 * stride});
  Conv c;
  c.in = in;
  c.out = out;
  c.k = ops::nearest_upsample_kernel(stride);
  c.stride = stride;
  c.padding = stride;
  c.transposed = true;
  c.weight = Tensor({in, out, c.k});
  const std::vector<float> folded = ops::fold_nearest_upsample(v.data(), out, in, stride);
  std::copy(folded.begin(), folded.end(), c.weight.data());
  return c;
}

void OobleckDecoder::prepare_bf16(Conv& c) const {
  if (!bf16_) return;
  c.weight_bf16.resize(static_cast<std::size_t>(c.weight.numel()));
  if (!c.transposed) {
    ops::floats_to_bf16(c.weight.data(), c.weight_bf16.data(), c.weight.numel());
    return;
  }
  // [in, out·k] -> [out·k, in] so the transposed conv's GEMM reads A row-major.
  const int64_t rows = c.out * c.k;
  for (int64_t ci = 0; ci < c.in; ++ci) {
    for (int64_t r = 0; r < rows; ++r) {
      c.weight_bf16[static_cast<std::size_t>(r * c.in + ci)] = ops::float_to_bf16(c.weight[ci * rows + r]);
    }
  }
}

OobleckDecoder::OobleckDecoder(const OobleckDecoderConfig& config, const WeightReader& weights, bool bf16)
    : config_(config), bf16_(bf16 && ops::bf16_available()) {
  std::vector<int64_t> mults = {1};
  for (int m : config.c_mults) mults.push_back(m);
  const int64_t C = config.channels;
  const int depth = static_cast<int>(mults.size());
  const WeightReader layers = weights.sub("layers");

  input_conv_ = load_conv(layers, "0", config.latent_dim, mults.back() * C, 7, 3, 1, true);
  int index = 1;
  for (int i = depth - 1; i > 0; --i, ++index) {
    const WeightReader blk = layers.sub(std::to_string(index)).sub("layers");
    const int64_t in = mults[static_cast<std::size_t>(i)] * C, out = mults[static_cast<std::size_t>(i - 1)] * C;
    const int64_t stride = config.strides[static_cast<std::size_t>(i - 1)];
    hop_ *= stride;
    Stage st;
    st.snake = load_snake(blk.sub("0"), in);
    st.up = config.use_nearest_upsample ? load_nearest_upsample(blk.sub("1"), in, out, stride)
                                        : load_conv_transpose(blk, "1", in, out, stride);
    const int dilations[3] = {1, 3, 9};
    for (int u = 0; u < 3; ++u) {
      const WeightReader ru = blk.sub(std::to_string(2 + u)).sub("layers");
      ResidualUnit& r = st.units[u];
      r.snake1 = load_snake(ru.sub("0"), out);
      r.conv1 = load_conv(ru, "1", out, out, 7, 3 * dilations[u], dilations[u], true);
      r.snake2 = load_snake(ru.sub("2"), out);
      r.conv2 = load_conv(ru, "3", out, out, 1, 0, 1, true);
    }
    stages_.push_back(std::move(st));
  }
  final_snake_ = load_snake(layers.sub(std::to_string(index)), C);
  output_conv_ = load_conv(layers, std::to_string(index + 1), C, config.out_channels, 7, 3, 1, false);
  prepare_bf16(input_conv_);
  prepare_bf16(output_conv_);
  for (Stage& st : stages_) {
    prepare_bf16(st.up);
    for (ResidualUnit& r : st.units) {
      prepare_bf16(r.conv1);
      prepare_bf16(r.conv2);
    }
  }
}

void OobleckDecoder::activation(const Snake& snake, const float* x, float* y, int64_t channels, int64_t t) const {
  if (config_.use_snake) {
    ops::snake_beta(x, y, channels, t, snake.alpha.data(), snake.inv_beta.data());
  } else {
    if (x != y) std::memcpy(y, x, static_cast<std::size_t>(channels * t) * sizeof(float));
    ops::elu_inplace(y, channels * t);
  }
}

int64_t OobleckDecoder::run_conv(const Conv& conv, const float* x, int64_t t, Tensor& out) {
  const float* bias = conv.bias.empty() ? nullptr : conv.bias.data();
  if (conv.transposed) {
    const int64_t tout = ops::conv_transpose1d_output_length(t, conv.k, conv.stride, conv.padding);
    out.resize({conv.out, tout});
    ops::conv_transpose1d(x, conv.in, t, conv.weight.data(), conv.out, conv.k, bias, conv.stride, conv.padding,
                          out.data(), scratch_, conv.bf16());
    return tout;
  }
  const int64_t tout = ops::conv1d_output_length(t, conv.k, conv.padding, conv.dilation);
  out.resize({conv.out, tout});
  ops::conv1d(x, conv.in, t, conv.weight.data(), conv.out, conv.k, bias, conv.padding, conv.dilation, out.data(),
              scratch_, false, conv.bf16());
  return tout;
}

Tensor OobleckDecoder::decode(const float* latents, int64_t frames, std::vector<Tensor>* layer_outputs) {
  if (frames <= 0) throw EngineError("Oobleck decode: no latent frames");
  int64_t t = run_conv(input_conv_, latents, frames, buf_a_);  // buf_a_: [C, t]
  if (layer_outputs) layer_outputs->push_back(buf_a_);
  for (const Stage& st : stages_) {
    buf_b_.resize({st.up.in, t});
    activation(st.snake, buf_a_.data(), buf_b_.data(), st.up.in, t);
    t = run_conv(st.up, buf_b_.data(), t, buf_a_);
    const int64_t ch = st.up.out;
    for (const ResidualUnit& r : st.units) {
      buf_b_.resize({ch, t});
      activation(r.snake1, buf_a_.data(), buf_b_.data(), ch, t);
      run_conv(r.conv1, buf_b_.data(), t, buf_c_);
      activation(r.snake2, buf_c_.data(), buf_c_.data(), ch, t);
      // a += conv2(c): the residual add fused into the 1×1 GEMM.
      ops::conv1d(buf_c_.data(), ch, t, r.conv2.weight.data(), ch, 1, r.conv2.bias.data(), 0, 1, buf_a_.data(),
                  scratch_, true, r.conv2.bf16());
    }
    if (layer_outputs) layer_outputs->push_back(buf_a_);
  }
  const int64_t ch = config_.channels;
  buf_b_.resize({ch, t});
  activation(final_snake_, buf_a_.data(), buf_b_.data(), ch, t);
  if (layer_outputs) layer_outputs->push_back(buf_b_);
  Tensor out;
  run_conv(output_conv_, buf_b_.data(), t, out);
  if (layer_outputs) layer_outputs->push_back(out);
  if (config_.final_tanh) {
    for (int64_t i = 0; i < out.numel(); ++i) out[i] = std::tanh(out[i]);
  }
  if (layer_outputs) layer_outputs->push_back(out);
  return out;
}

Tensor OobleckDecoder::decode_chunked(const float* latents, int64_t frames, int64_t chunk, int64_t overlap,
                                      int64_t keep_samples, const std::function<void()>& between_chunks) {
  keep_samples = std::clamp<int64_t>(keep_samples, 0, frames * hop_);
  const int64_t ld = config_.latent_dim, oc = config_.out_channels;
  Tensor out({oc, keep_samples});
  if (keep_samples == 0) return out;
  if (chunk <= 0) chunk = frames;
  const int64_t context = std::max<int64_t>(overlap / 2, 0);
  Tensor piece;
  for (int64_t s0 = 0; s0 < frames && s0 * hop_ < keep_samples; s0 += chunk) {
    if (between_chunks) between_chunks();
    const int64_t s1 = std::min(frames, s0 + chunk);
    const int64_t lo = std::max<int64_t>(0, s0 - context);
    const int64_t hi = std::min(frames, s1 + context);
    piece.resize({ld, hi - lo});
    for (int64_t c = 0; c < ld; ++c) {
      std::memcpy(piece.data() + c * (hi - lo), latents + c * frames + lo,
                  static_cast<std::size_t>(hi - lo) * sizeof(float));
    }
    Tensor audio = decode(piece.data(), hi - lo);
    const int64_t len = audio.dim(1);
    const int64_t begin = (s0 - lo) * hop_;
    const int64_t count = std::min((s1 - s0) * hop_, keep_samples - s0 * hop_);
    for (int64_t c = 0; c < oc; ++c) {
      std::memcpy(out.data() + c * keep_samples + s0 * hop_, audio.data() + c * len + begin,
                  static_cast<std::size_t>(count) * sizeof(float));
    }
  }
  return out;
}

}  // namespace foley
