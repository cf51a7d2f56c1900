// Oobleck decoder (stable-audio-tools models/autoencoders.py OobleckDecoder): latents
// [latent_dim, L] -> audio [out_channels, L·Π strides].
//   WNConv1d(latent → C·m_last, k7) -> per stage (deepest first): SnakeBeta ->
//   WNConvTranspose1d(k=2s, stride s, pad ceil(s/2)) [use_nearest_upsample: repeat each frame s
//   times -> WNConv1d(k=2s, "same" padding, no bias), run as one transposed conv:
//   ops/nearest_upsample.h] -> 3 ResidualUnits (dilation 1, 3, 9:
//   y = x + Conv1x1(Snake(Conv_k7,d(Snake(x))))) -> SnakeBeta -> WNConv1d(C → out, k7, no
//   bias) [-> tanh when final_tanh]. Weight norm is folded at load.
// Long clips decode in chunks of latent frames with overlapping context on both sides whose
// edges are dropped, so memory is bounded by the chunk size, not the clip length.
#pragma once

#include <functional>
#include <vector>

#include "core/tensor.h"
#include "model/model_config.h"
#include "model/weights.h"
#include "ops/nn.h"

namespace foley {

class OobleckDecoder {
 public:
  // bf16: run the convolutions' GEMMs in BF16 when the CPU supports it (not for parity).
  OobleckDecoder(const OobleckDecoderConfig& config, const WeightReader& weights, bool bf16 = false);

  // latents [latent_dim, frames] -> audio [out_channels, frames·hop]. `layer_outputs`
  // (optional) receives each top-level layer's output (decoder.layers[i]).
  Tensor decode(const float* latents, int64_t frames, std::vector<Tensor>* layer_outputs = nullptr);

  // Chunked: decodes frames [0, frames) in chunks of `chunk` frames with `overlap` frames of
  // context (split across both sides), writing only the first `keep_samples` samples
  // (<= frames·hop). chunk == 0 decodes at once.
  // `between_chunks` (optional) runs before each chunk (cancellation polling; may throw).
  Tensor decode_chunked(const float* latents, int64_t frames, int64_t chunk, int64_t overlap,
                        int64_t keep_samples, const std::function<void()>& between_chunks = {});

  int64_t hop() const { return hop_; }
  int latent_dim() const { return config_.latent_dim; }
  int out_channels() const { return config_.out_channels; }

 private:
  struct Snake {
    Tensor alpha, inv_beta;  // exponentiated at load
  };
  struct Conv {
    Tensor weight, bias;     // bias empty when absent
    std::vector<uint16_t> weight_bf16;  // BF16 path: [out, in·k], or [out·k, in] when transposed
    const uint16_t* bf16() const { return weight_bf16.empty() ? nullptr : weight_bf16.data(); }
    int64_t in = 0, out = 0, k = 0, stride = 1, padding = 0, dilation = 1;
    bool transposed = false;
  };
  struct ResidualUnit {
    Snake snake1;
    Conv conv1;
    Snake snake2;
    Conv conv2;
  };
  struct Stage {
    Snake snake;
    Conv up;
    ResidualUnit units[3];
  };

  Snake load_snake(const WeightReader& w, int64_t channels) const;
  Conv load_conv(const WeightReader& w, const std::string& module, int64_t in, int64_t out, int64_t k,
                 int64_t padding, int64_t dilation, bool bias) const;
  Conv load_conv_transpose(const WeightReader& w, const std::string& module, int64_t in, int64_t out,
                           int64_t stride) const;
  Conv load_nearest_upsample(const WeightReader& w, int64_t in, int64_t out, int64_t stride) const;
  void activation(const Snake& snake, const float* x, float* y, int64_t channels, int64_t t) const;
  // Runs conv into `out` (resized); returns the output length.
  int64_t run_conv(const Conv& conv, const float* x, int64_t t, Tensor& out);

  void prepare_bf16(Conv& conv) const;

  OobleckDecoderConfig config_;
  bool bf16_ = false;
  int64_t hop_ = 1;
  Conv input_conv_;
  std::vector<Stage> stages_;
  Snake final_snake_;
  Conv output_conv_;
  ops::ConvScratch scratch_;
  Tensor buf_a_, buf_b_, buf_c_;
};

}  // namespace foley
