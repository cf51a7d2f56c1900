#include "model/dit.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "ops/gemm.h"

namespace foley {

namespace {

Tensor optional_or_zeros(const WeightReader& w, const std::string& name, int64_t n) {
  if (w.has(name)) return w.get(name, {n});
  return Tensor({n});
}

// y[rows, out] = Linear2(SiLU(Linear1(x))), the embedders' MLP shape.
void mlp2(const float* x, int64_t rows, const Tensor& w0, const Tensor* b0, const Tensor& w2,
          const Tensor* b2, Tensor& hidden, float* y) {
  hidden.resize({rows, w0.dim(0)});
  ops::linear(x, rows, w0.dim(1), w0.data(), w0.dim(0), b0 ? b0->data() : nullptr, hidden.data());
  ops::silu_inplace(hidden.data(), hidden.numel());
  ops::linear(hidden.data(), rows, w2.dim(1), w2.data(), w2.dim(0), b2 ? b2->data() : nullptr, y);
}

}  // namespace

DiffusionTransformer::DiffusionTransformer(const DitConfig& config, const WeightReader& weights, bool bf16)
    : config_(config) {
  const int64_t E = config.embed_dim, io = config.io_channels;
  head_dim_ = config.head_dim();
  const int64_t D = head_dim_;

  // Timestep Fourier features: weight [F/2, 1].
  const int64_t fhalf = config.timestep_features_dim / 2;
  timestep_features_ = weights.get("timestep_features.weight", {fhalf, 1});
  t_embed0_w_ = weights.get("to_timestep_embed.0.weight", {E, 2 * fhalf});
  t_embed0_b_ = weights.get("to_timestep_embed.0.bias", {E});
  t_embed2_w_ = weights.get("to_timestep_embed.2.weight", {E, E});
  t_embed2_b_ = weights.get("to_timestep_embed.2.bias", {E});

  if (config.project_cond_tokens) {
    cond_embed0_w_ = weights.get("to_cond_embed.0.weight", {E, config.cond_token_dim});
    cond_embed2_w_ = weights.get("to_cond_embed.2.weight", {E, E});
  }
  if (config.project_global_cond) {
    global_embed0_w_ = weights.get("to_global_embed.0.weight", {E, config.global_cond_dim});
    global_embed2_w_ = weights.get("to_global_embed.2.weight", {E, E});
  }
  preprocess_conv_ = weights.get("preprocess_conv.weight", {io, io, 1}).reshaped({io, io});
  postprocess_conv_ = weights.get("postprocess_conv.weight", {io, io, 1}).reshaped({io, io});

  const WeightReader tr = weights.sub("transformer");
  project_in_ = tr.get("project_in.weight", {E, io});
  project_out_ = tr.get("project_out.weight", {io, E});

  // RoPE over max(head_dim/2, 32) dims: inv_freq has half of that many entries.
  const int64_t rot = std::max<int64_t>(D / 2, 32);
  if (rot > D) throw EngineError(weights.file_path() + ": head dim " + std::to_string(D) + " is smaller than the rotary dim " + std::to_string(rot));
  if (tr.has("rotary_pos_emb.inv_freq")) {
    rope_inv_freq_ = tr.get("rotary_pos_emb.inv_freq", {rot / 2});
  } else {
    rope_inv_freq_ = Tensor({rot / 2});
    for (int64_t i = 0; i < rot / 2; ++i) {
      rope_inv_freq_[i] = 1.0f / std::pow(10000.0f, static_cast<float>(2 * i) / static_cast<float>(rot));
    }
  }

  cond_dim_ = config.project_cond_tokens ? static_cast<int>(E) : config.cond_token_dim;
  if (cond_dim_ != E) throw EngineError(weights.file_path() + ": context width must equal embed_dim");

  for (int i = 0; i < config.depth; ++i) {
    const WeightReader b = tr.sub("layers." + std::to_string(i));
    Block blk;
    blk.pre_norm_gamma = b.get("pre_norm.gamma", {E});
    blk.pre_norm_beta = optional_or_zeros(b, "pre_norm.beta", E);
    blk.qkv_weight = ops::LinearWeight(b.get("self_attn.to_qkv.weight", {3 * E, E}), bf16);
    blk.self_out_weight = ops::LinearWeight(b.get("self_attn.to_out.weight", {E, E}), bf16);
    blk.cross_norm_gamma = b.get("cross_attend_norm.gamma", {E});
    blk.cross_norm_beta = optional_or_zeros(b, "cross_attend_norm.beta", E);
    blk.cross_q_weight = ops::LinearWeight(b.get("cross_attn.to_q.weight", {E, E}), bf16);
    blk.cross_kv_weight = ops::LinearWeight(b.get("cross_attn.to_kv.weight", {2 * E, E}), bf16);
    blk.cross_out_weight = ops::LinearWeight(b.get("cross_attn.to_out.weight", {E, E}), bf16);
    if (config.qk_layer_norm) {
      blk.self_q_norm_w = b.get("self_attn.q_norm.weight", {D});
      blk.self_q_norm_b = b.get("self_attn.q_norm.bias", {D});
      blk.self_k_norm_w = b.get("self_attn.k_norm.weight", {D});
      blk.self_k_norm_b = b.get("self_attn.k_norm.bias", {D});
      blk.cross_q_norm_w = b.get("cross_attn.q_norm.weight", {D});
      blk.cross_q_norm_b = b.get("cross_attn.q_norm.bias", {D});
      blk.cross_k_norm_w = b.get("cross_attn.k_norm.weight", {D});
      blk.cross_k_norm_b = b.get("cross_attn.k_norm.bias", {D});
    }
    blk.ff_norm_gamma = b.get("ff_norm.gamma", {E});
    blk.ff_norm_beta = optional_or_zeros(b, "ff_norm.beta", E);
    const Shape& ff_in = b.shape_of("ff.ff.0.proj.weight");
    if (ff_in.size() != 2 || ff_in[1] != E || ff_in[0] % 2 != 0) {
      throw EngineError(weights.file_path() + ": tensor '" + b.full_name("ff.ff.0.proj.weight") +
                        "' has shape " + shape_string(ff_in) + ", expected [2·inner, " + std::to_string(E) + "]");
    }
    const int64_t inner = ff_in[0] / 2;
    if (i == 0) ff_inner_ = static_cast<int>(inner);
    if (inner != ff_inner_) throw EngineError(weights.file_path() + ": feed-forward widths differ between layers");
    blk.ff_in_weight = ops::LinearWeight(b.get("ff.ff.0.proj.weight", {2 * inner, E}), bf16);
    blk.ff_in_bias = b.get("ff.ff.0.proj.bias", {2 * inner});
    blk.ff_out_weight = ops::LinearWeight(b.get("ff.ff.2.weight", {E, inner}), bf16);
    blk.ff_out_bias = b.get("ff.ff.2.bias", {E});
    blocks_.push_back(std::move(blk));
  }
}

void DiffusionTransformer::attention(float* q, int64_t q_stride, float* k, int64_t k_stride,
                                     const float* v, int64_t v_stride, int batch, int nq, int nk,
                                     const Tensor* q_norm_w, const Tensor* q_norm_b,
                                     const Tensor* k_norm_w, const Tensor* k_norm_b, bool rope,
                                     float* out) {
  const int64_t E = config_.embed_dim, D = head_dim_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  // cos/sin once per token count: per head and layer they cost more than the attention itself.
  if (rope) rope_table_.build(rope_inv_freq_.data(), rope_inv_freq_.numel(), std::max(nq, nk));
  for (int b = 0; b < batch; ++b) {
    for (int h = 0; h < config_.num_heads; ++h) {
      float* qh = q + static_cast<int64_t>(b) * nq * q_stride + h * D;
      float* kh = k + static_cast<int64_t>(b) * nk * k_stride + h * D;
      const float* vh = v + static_cast<int64_t>(b) * nk * v_stride + h * D;
      if (q_norm_w) {
        ops::layer_norm(qh, nq, D, q_norm_w->data(), q_norm_b->data(), 1e-6f, qh, q_stride, q_stride);
        ops::layer_norm(kh, nk, D, k_norm_w->data(), k_norm_b->data(), 1e-6f, kh, k_stride, k_stride);
      }
      if (rope) {
        ops::apply_rope(qh, nq, q_stride, rope_table_);
        ops::apply_rope(kh, nk, k_stride, rope_table_);
      }
      ops::attention_head(qh, q_stride, kh, k_stride, vh, v_stride,
                          out + static_cast<int64_t>(b) * nq * E + h * D, E, nq, nk, D, scale,
                          attention_scratch_);
    }
  }
}

void DiffusionTransformer::run_block(const Block& blk, int batch, int tokens, int context_tokens,
                                     DitTrace* trace, bool first) {
  const int64_t E = config_.embed_dim;
  const int64_t rows = static_cast<int64_t>(batch) * tokens;
  const int64_t ctx_rows = static_cast<int64_t>(batch) * context_tokens;
  const bool qkln = config_.qk_layer_norm;
  auto record = [&](Tensor& dst) {
    if (trace && first) dst = branch_.reshaped({batch, tokens, E});
  };

  // Self-attention.
  ops::layer_norm(hidden_.data(), rows, E, blk.pre_norm_gamma.data(), blk.pre_norm_beta.data(), 1e-5f, normed_.data());
  blk.qkv_weight.apply(normed_.data(), rows, qkv_.data());
  attention(qkv_.data(), 3 * E, qkv_.data() + E, 3 * E, qkv_.data() + 2 * E, 3 * E, batch, tokens, tokens,
            qkln ? &blk.self_q_norm_w : nullptr, qkln ? &blk.self_q_norm_b : nullptr,
            qkln ? &blk.self_k_norm_w : nullptr, qkln ? &blk.self_k_norm_b : nullptr, true, attn_.data());
  blk.self_out_weight.apply(attn_.data(), rows, branch_.data());
  record(trace ? trace->block0_self_attn_out : branch_);
  for (int64_t i = 0; i < rows * E; ++i) hidden_[i] += branch_[i];

  // Cross-attention on the (projected) context.
  ops::layer_norm(hidden_.data(), rows, E, blk.cross_norm_gamma.data(), blk.cross_norm_beta.data(), 1e-5f, normed_.data());
  blk.cross_q_weight.apply(normed_.data(), rows, q_.data());
  blk.cross_kv_weight.apply(ctx_.data(), ctx_rows, kv_.data());
  attention(q_.data(), E, kv_.data(), 2 * E, kv_.data() + E, 2 * E, batch, tokens, context_tokens,
            qkln ? &blk.cross_q_norm_w : nullptr, qkln ? &blk.cross_q_norm_b : nullptr,
            qkln ? &blk.cross_k_norm_w : nullptr, qkln ? &blk.cross_k_norm_b : nullptr, false, attn_.data());
  blk.cross_out_weight.apply(attn_.data(), rows, branch_.data());
  record(trace ? trace->block0_cross_attn_out : branch_);
  for (int64_t i = 0; i < rows * E; ++i) hidden_[i] += branch_[i];

  // SwiGLU feed-forward: value · SiLU(gate), value first.
  const int64_t I = ff_inner_;
  ops::layer_norm(hidden_.data(), rows, E, blk.ff_norm_gamma.data(), blk.ff_norm_beta.data(), 1e-5f, normed_.data());
  blk.ff_in_weight.apply(normed_.data(), rows, ff_.data(), blk.ff_in_bias.data());
  for (int64_t r = 0; r < rows; ++r) {
    const float* u = ff_.data() + r * 2 * I;
    ops::swiglu(u, u + I, ff_act_.data() + r * I, I);
  }
  blk.ff_out_weight.apply(ff_act_.data(), rows, branch_.data(), blk.ff_out_bias.data());
  record(trace ? trace->block0_ff_out : branch_);
  for (int64_t i = 0; i < rows * E; ++i) hidden_[i] += branch_[i];
}

void DiffusionTransformer::forward(const float* x, const float* t, const float* context,
                                   const float* global_cond, int batch, int frames,
                                   int context_tokens, float* v, DitTrace* trace) {
  const int64_t E = config_.embed_dim, io = config_.io_channels;
  const int tokens = frames + 1;
  const int64_t rows = static_cast<int64_t>(batch) * tokens;
  const int64_t ctx_rows = static_cast<int64_t>(batch) * context_tokens;

  hidden_.resize({rows, E});
  normed_.resize({rows, E});
  qkv_.resize({rows, 3 * E});
  attn_.resize({rows, E});
  branch_.resize({rows, E});
  q_.resize({rows, E});
  ctx_.resize({ctx_rows, E});
  kv_.resize({ctx_rows, 2 * E});
  ff_.resize({rows, 2 * static_cast<int64_t>(ff_inner_)});
  ff_act_.resize({rows, static_cast<int64_t>(ff_inner_)});

  // 1. Timestep embedding: Fourier features [cos f, sin f], f = 2π·t·w.
  const int64_t fhalf = timestep_features_.numel();
  Tensor& temb = small2_;
  temb.resize({batch, E});
  {
    io_buf_.resize({batch, 2 * fhalf});
    const float two_pi = static_cast<float>(2.0 * std::numbers::pi);
    for (int b = 0; b < batch; ++b) {
      float* f = io_buf_.data() + b * 2 * fhalf;
      for (int64_t i = 0; i < fhalf; ++i) {
        const float arg = (two_pi * t[b]) * timestep_features_[i];
        f[i] = std::cos(arg);
        f[fhalf + i] = std::sin(arg);
      }
    }
    mlp2(io_buf_.data(), batch, t_embed0_w_, &t_embed0_b_, t_embed2_w_, &t_embed2_b_, small_, temb.data());
  }
  if (trace) trace->timestep_embed = temb.reshaped({batch, E});

  // 2. Global token = to_global_embed(global) + timestep embedding, written to row 0 of
  //    each item's sequence.
  for (int b = 0; b < batch; ++b) {
    float* row0 = hidden_.data() + static_cast<int64_t>(b) * tokens * E;
    if (config_.project_global_cond) {
      mlp2(global_cond + static_cast<int64_t>(b) * config_.global_cond_dim, 1, global_embed0_w_, nullptr,
           global_embed2_w_, nullptr, small_, row0);
    } else {
      std::memcpy(row0, global_cond + static_cast<int64_t>(b) * E, static_cast<std::size_t>(E) * sizeof(float));
    }
  }
  if (trace) {
    trace->global_embed_proj = Tensor({batch, E});
    for (int b = 0; b < batch; ++b) {
      std::memcpy(trace->global_embed_proj.data() + b * E, hidden_.data() + static_cast<int64_t>(b) * tokens * E,
                  static_cast<std::size_t>(E) * sizeof(float));
    }
  }
  for (int b = 0; b < batch; ++b) {
    float* row0 = hidden_.data() + static_cast<int64_t>(b) * tokens * E;
    for (int64_t i = 0; i < E; ++i) row0[i] += temb[b * E + i];
  }

  // 3. Context tokens.
  if (config_.project_cond_tokens) {
    mlp2(context, ctx_rows, cond_embed0_w_, nullptr, cond_embed2_w_, nullptr, small_, ctx_.data());
  } else {
    std::memcpy(ctx_.data(), context, static_cast<std::size_t>(ctx_rows * E) * sizeof(float));
  }
  if (trace) trace->cond_embed = ctx_.reshaped({batch, context_tokens, E});

  // 4. preprocess_conv(x) + x, transposed to [T, io], then project_in into rows 1..T.
  io_buf_.resize({batch, frames, io});
  for (int b = 0; b < batch; ++b) {
    const float* xb = x + static_cast<int64_t>(b) * io * frames;
    float* pb = io_buf_.data() + static_cast<int64_t>(b) * frames * io;
    // pb[t, c] = x[c, t] + Σ_c' W[c, c'] x[c', t]  ==  (xᵀ·Wᵀ + xᵀ)
    ops::gemm(true, true, frames, io, io, 1.0f, xb, frames, preprocess_conv_.data(), io, 0.0f, pb, io);
    for (int64_t tt = 0; tt < frames; ++tt) {
      for (int64_t c = 0; c < io; ++c) pb[tt * io + c] += xb[c * frames + tt];
    }
    ops::linear(pb, frames, io, project_in_.data(), E, nullptr,
                hidden_.data() + (static_cast<int64_t>(b) * tokens + 1) * E);
  }
  if (trace) {
    trace->project_in_input = io_buf_.reshaped({batch, frames, io});
    trace->project_in_output = Tensor({batch, frames, E});
    for (int b = 0; b < batch; ++b) {
      std::memcpy(trace->project_in_output.data() + static_cast<int64_t>(b) * frames * E,
                  hidden_.data() + (static_cast<int64_t>(b) * tokens + 1) * E,
                  static_cast<std::size_t>(frames * E) * sizeof(float));
    }
    trace->block0_input = hidden_.reshaped({batch, tokens, E});
    trace->block_outputs.clear();
  }

  // 5. Transformer blocks.
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    run_block(blocks_[i], batch, tokens, context_tokens, trace, i == 0);
    if (trace) trace->block_outputs.push_back(hidden_.reshaped({batch, tokens, E}));
  }

  // 6. project_out, drop the prepended token, transpose, postprocess_conv(out) + out.
  io_buf_.resize({rows, io});
  ops::linear(hidden_.data(), rows, E, project_out_.data(), io, nullptr, io_buf_.data());
  if (trace) trace->project_out_output = io_buf_.reshaped({batch, tokens, io});
  for (int b = 0; b < batch; ++b) {
    const float* ob = io_buf_.data() + (static_cast<int64_t>(b) * tokens + 1) * io;  // [T, io]
    float* vb = v + static_cast<int64_t>(b) * io * frames;                          // [io, T]
    // v[c, t] = o[t, c] + Σ_c' W[c, c'] o[t, c']
    ops::gemm(false, true, io, frames, io, 1.0f, postprocess_conv_.data(), io, ob, io, 0.0f, vb, frames);
    for (int64_t c = 0; c < io; ++c) {
      for (int64_t tt = 0; tt < frames; ++tt) vb[c * frames + tt] += ob[tt * io + c];
    }
  }
}

void DiffusionTransformer::forward_cfg(const float* x, const float* t, const float* context,
                                       const float* negative_context, const float* negative_mask,
                                       const float* global_cond, int batch, int frames,
                                       int context_tokens, float cfg_scale, float* v,
                                       float* uncond_v) {
  const int64_t io = config_.io_channels, C = config_.cond_token_dim, G = config_.global_cond_dim;
  if (cfg_scale == 1.0f) {
    forward(x, t, context, global_cond, batch, frames, context_tokens, v);
    return;
  }
  const int64_t xn = io * frames, cn = static_cast<int64_t>(context_tokens) * C;
  cfg_x_.resize({2 * batch, io, frames});
  cfg_t_.resize({2 * batch});
  cfg_ctx_.resize({2 * batch, context_tokens, C});
  cfg_global_.resize({2 * batch, G});
  cfg_v_.resize({2 * batch, io, frames});
  for (int half = 0; half < 2; ++half) {
    std::memcpy(cfg_x_.data() + half * batch * xn, x, static_cast<std::size_t>(batch * xn) * sizeof(float));
    std::memcpy(cfg_t_.data() + half * batch, t, static_cast<std::size_t>(batch) * sizeof(float));
    std::memcpy(cfg_global_.data() + half * batch * G, global_cond, static_cast<std::size_t>(batch * G) * sizeof(float));
  }
  std::memcpy(cfg_ctx_.data(), context, static_cast<std::size_t>(batch * cn) * sizeof(float));
  float* uncond_ctx = cfg_ctx_.data() + batch * cn;
  if (negative_context) {
    for (int64_t r = 0; r < static_cast<int64_t>(batch) * context_tokens; ++r) {
      const bool keep = !negative_mask || negative_mask[r] != 0.0f;
      for (int64_t c = 0; c < C; ++c) uncond_ctx[r * C + c] = keep ? negative_context[r * C + c] : 0.0f;
    }
  } else {
    std::fill(uncond_ctx, uncond_ctx + batch * cn, 0.0f);
  }
  forward(cfg_x_.data(), cfg_t_.data(), cfg_ctx_.data(), cfg_global_.data(), 2 * batch, frames, context_tokens,
          cfg_v_.data());
  const float* cond = cfg_v_.data();
  const float* uncond = cfg_v_.data() + batch * xn;
  for (int64_t i = 0; i < batch * xn; ++i) v[i] = uncond[i] + (cond[i] - uncond[i]) * cfg_scale;
  if (uncond_v) std::memcpy(uncond_v, uncond, static_cast<std::size_t>(batch * xn) * sizeof(float));
}

}  // namespace foley
