// DiffusionTransformer (stable-audio-tools models/dit.py + transformer.py), SAOS variant.
//   x[B, io, T] -> conv1x1(x) + x -> Linear(io→E) -> prepend one global token
//   (to_global_embed(seconds) + to_timestep_embed(Fourier(t))) -> depth × block
//   -> Linear(E→io) -> drop the prepended token -> conv1x1(out) + out = velocity.
// Block (pre-LN, bias-less LayerNorm): x += SelfAttn(LN x) with per-head LayerNorm on q, k
// then partial NeoX RoPE; x += CrossAttn(LN x, to_cond_embed(context)) with q/k LayerNorm, no
// RoPE, no mask; x += SwiGLU(LN x). Attention is exact softmax(qkᵀ/√d)v in float32.
// CFG runs [cond; uncond] as one batch of 2 for a clip; uncond context = zeros or the
// negative prompt with masked tokens zeroed; the global token is kept in both halves.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "model/model_config.h"
#include "model/weights.h"
#include "ops/linear_weight.h"
#include "ops/nn.h"

namespace foley {

// Intermediates of one forward, for parity checks (filled only when requested).
struct DitTrace {
  Tensor timestep_embed;       // [B, E]
  Tensor global_embed_proj;    // [B, E]
  Tensor cond_embed;           // [B, Nc, E]
  Tensor project_in_input;     // [B, T, io]
  Tensor project_in_output;    // [B, T, E]
  Tensor block0_input;         // [B, N, E]
  Tensor block0_self_attn_out;
  Tensor block0_cross_attn_out;
  Tensor block0_ff_out;
  std::vector<Tensor> block_outputs;  // depth × [B, N, E]
  Tensor project_out_output;   // [B, N, io]
};

class DiffusionTransformer {
 public:
  // bf16: run the blocks' large linears in BF16 when the CPU supports it (not for parity).
  DiffusionTransformer(const DitConfig& config, const WeightReader& weights, bool bf16 = false);

  // v[B, io, T] = model(x[B, io, T], t[B], context[B, Nc, cond_token_dim], global[B, G]).
  void forward(const float* x, const float* t, const float* context, const float* global_cond,
               int batch, int frames, int context_tokens, float* v, DitTrace* trace = nullptr);

  // Classifier-free guidance for `batch` items run as one forward of 2·batch items
  // [cond...; uncond...]. negative_context/negative_mask may be null (zero context).
  // cfg_scale == 1 runs the conditional half only. uncond_v (optional) receives the
  // unconditional output.
  void forward_cfg(const float* x, const float* t, const float* context,
                   const float* negative_context, const float* negative_mask,
                   const float* global_cond, int batch, int frames, int context_tokens,
                   float cfg_scale, float* v, float* uncond_v = nullptr);

  const DitConfig& config() const { return config_; }

 private:
  struct Block {
    Tensor pre_norm_gamma, pre_norm_beta;
    ops::LinearWeight qkv_weight, self_out_weight, cross_q_weight, cross_kv_weight, cross_out_weight;
    Tensor self_q_norm_w, self_q_norm_b, self_k_norm_w, self_k_norm_b;
    Tensor cross_norm_gamma, cross_norm_beta;
    Tensor cross_q_norm_w, cross_q_norm_b, cross_k_norm_w, cross_k_norm_b;
    Tensor ff_norm_gamma, ff_norm_beta;
    ops::LinearWeight ff_in_weight, ff_out_weight;
    Tensor ff_in_bias, ff_out_bias;
  };

  void run_block(const Block& block, int batch, int tokens, int context_tokens, DitTrace* trace,
                 bool first);
  void attention(float* q, int64_t q_stride, float* k, int64_t k_stride, const float* v,
                 int64_t v_stride, int batch, int nq, int nk, const Tensor* q_norm_w,
                 const Tensor* q_norm_b, const Tensor* k_norm_w, const Tensor* k_norm_b,
                 bool rope, float* out);

  DitConfig config_;
  int head_dim_ = 0;
  int ff_inner_ = 0;
  int cond_dim_ = 0;  // width of context tokens after to_cond_embed (E when projected)

  Tensor timestep_features_;  // [F/2, 1]
  Tensor t_embed0_w_, t_embed0_b_, t_embed2_w_, t_embed2_b_;
  Tensor cond_embed0_w_, cond_embed2_w_;
  Tensor global_embed0_w_, global_embed2_w_;
  Tensor preprocess_conv_, postprocess_conv_;  // [io, io]
  Tensor project_in_, project_out_;
  Tensor rope_inv_freq_;
  std::vector<Block> blocks_;

  // Scratch reused across calls: after the first step no forward allocates.
  Tensor hidden_, normed_, qkv_, attn_, branch_, ctx_, kv_, q_, ff_, ff_act_, small_, small2_;
  Tensor cfg_x_, cfg_t_, cfg_ctx_, cfg_global_, cfg_v_, io_buf_;
  ops::RopeTable rope_table_;
  ops::AttentionScratch attention_scratch_;
};

}  // namespace foley
