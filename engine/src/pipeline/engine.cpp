// Engine implementation: prompt -> T5 -> conditioning -> sampler(DiT) -> Oobleck decode ->
// resample/trim/normalise -> int16. Each clip runs alone (its [cond; uncond] pair as one
// batch of 2) with noise from its own seed, so a clip is bit-identical whatever else the
// generate() call holds.
#include <chrono>
#include <cmath>

#include "audio/postprocess.h"
#include "foley/engine.h"
#include "ops/gemm.h"
#include "ops/linear_weight.h"
#include "ops/parallel.h"
#include "pipeline/noise.h"
#include "pipeline/saos_model.h"
#include "pipeline/samplers.h"
#include "text/text_encoder.h"

namespace foley {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class SaosEngine final : public Engine {
 public:
  SaosEngine(const ModelFiles& files, const EngineOptions& options) : options_(options) {
    if (options.threads < 0) throw EngineError("threads must be >= 0");
    if (options.output_sample_rate < 8000 || options.output_sample_rate > 192000) {
      throw EngineError("output_sample_rate must be in [8000, 192000]");
    }
    ops::set_worker_threads(options.threads);  // 0: all cores
    ops::set_gemm_backend(options.precision == Precision::kBF16 && ops::bf16_available() ? ops::GemmBackend::kOneDnn
                                                                                        : ops::GemmBackend::kOpenBlas);
    model_ = SaosModel::load(files.model_dir, options.precision);
    const ModelConfig& c = model_->config();
    if (c.conditioning.prompt) {
      const std::filesystem::path t5_dir = files.t5_dir.empty() ? files.model_dir / "t5" : files.t5_dir;
      text_ = text::TextEncoder::load(t5_dir, c.conditioning.prompt->max_length);
      if (text_->d_model() != c.conditioning.cond_dim) {
        throw EngineError(t5_dir.string() + ": T5 width " + std::to_string(text_->d_model()) +
                          " differs from the model's cond_dim " + std::to_string(c.conditioning.cond_dim));
      }
    }
    info_.id = files.model_dir.filename().string();
    if (info_.id.empty()) info_.id = files.model_dir.parent_path().filename().string();
    info_.model_sample_rate = c.sample_rate;
    info_.output_sample_rate = options.output_sample_rate;
    info_.channels = c.audio_channels;
    info_.max_duration_s = static_cast<double>(c.sample_size) / c.sample_rate;
    const bool arc = c.dit.diffusion_objective == "rf_denoiser";
    info_.default_steps = arc ? 8 : 50;
    info_.default_cfg = arc ? 1.0 : 4.0;
    info_.default_sampler = arc ? Sampler::kPingPong : Sampler::kEuler;
    if (c.sampling) {
      info_.default_steps = c.sampling->steps;
      info_.default_sampler = c.sampling->sampler;
    }
    info_.max_prompt_tokens = model_->prompt_tokens();
  }

  const ModelInfo& info() const override { return info_; }

  void validate(const ClipRequest& r) const override {
    if (!(r.duration_s > 0) || r.duration_s > info_.max_duration_s + 1e-9) {
      throw EngineError("duration_s must be in (0, " + std::to_string(info_.max_duration_s) + "]");
    }
    if (r.steps < 0 || r.steps > kMaxSteps) throw EngineError("steps must be in [1, " + std::to_string(kMaxSteps) + "] (0: default)");
    if (!(r.cfg >= 0.0f && r.cfg <= kMaxCfg)) throw EngineError("cfg must be in [0, " + std::to_string(static_cast<int>(kMaxCfg)) + "]");
    if (r.prompt.size() > kMaxPromptBytes || r.negative_prompt.size() > kMaxPromptBytes) {
      throw EngineError("prompt must be at most " + std::to_string(kMaxPromptBytes) + " bytes");
    }
    if (r.sampler != Sampler::kPingPong && r.sampler != Sampler::kEuler && r.sampler != Sampler::kDpmPlusPlus) {
      throw EngineError("sampler must be pingpong, euler or dpmpp");
    }
  }

  std::vector<Clip> generate(std::span<const ClipRequest> requests, const GenerateCallbacks& callbacks) override {
    for (const auto& r : requests) validate(r);
    timings_ = {};
    std::vector<Clip> clips;
    clips.reserve(requests.size());
    for (const auto& r : requests) clips.push_back(generate_one(r, callbacks));
    return clips;
  }

  StageTimings last_timings() const override { return timings_; }

 private:
  static constexpr int kMaxSteps = 500;
  static constexpr float kMaxCfg = 30.0f;
  static constexpr std::size_t kMaxPromptBytes = 4096;

  void check_cancel(const GenerateCallbacks& cb) const {
    if (cb.should_cancel && cb.should_cancel()) throw CancelledError();
  }

  // [prompt_tokens, cond_dim] embedding and mask for a prompt (zeros when the model has no
  // text encoder, as the fixtures).
  void encode_prompt(const std::string& prompt, Tensor& embedding, Tensor& mask) {
    const int64_t n = model_->prompt_tokens(), C = model_->config().conditioning.cond_dim;
    if (!text_) {
      embedding.resize({n, C});
      embedding.fill(0.0f);
      mask.resize({n});
      mask.fill(0.0f);
      return;
    }
    text::TextEncoding enc = text_->encode_full(prompt);
    embedding = std::move(enc.hidden);
    embedding.reshape({n, C});
    mask.resize({n});
    for (int64_t i = 0; i < n; ++i) mask[i] = i < static_cast<int64_t>(enc.mask.size()) ? enc.mask[static_cast<std::size_t>(i)] : 0.0f;
  }

  Clip generate_one(const ClipRequest& r, const GenerateCallbacks& cb) {
    const ModelConfig& c = model_->config();
    const int steps = r.steps > 0 ? r.steps : info_.default_steps;
    const int ctx_tokens = model_->context_tokens();
    const int64_t C = c.conditioning.cond_dim, io = c.dit.io_channels;
    const int frames = c.latent_frames();
    const bool use_cfg = r.cfg != 1.0f;
    check_cancel(cb);

    // Text encoder and conditioning.
    auto t0 = Clock::now();
    Tensor prompt_emb, prompt_mask, neg_emb, neg_mask;
    encode_prompt(r.prompt, prompt_emb, prompt_mask);
    Tensor context({ctx_tokens, C}), mask({ctx_tokens}), global({c.dit.global_cond_dim});
    model_->conditioning(prompt_emb.data(), prompt_mask.data(), r.duration_s, context.data(), mask.data(), global.data());
    Tensor neg_context, neg_ctx_mask;
    const bool has_negative = use_cfg && !r.negative_prompt.empty();
    if (has_negative) {
      encode_prompt(r.negative_prompt, neg_emb, neg_mask);
      neg_context = Tensor({ctx_tokens, C});
      neg_ctx_mask = Tensor({ctx_tokens});
      Tensor unused({c.dit.global_cond_dim});
      model_->conditioning(neg_emb.data(), neg_mask.data(), r.duration_s, neg_context.data(), neg_ctx_mask.data(),
                           unused.data());
    }
    timings_.text_encoder += seconds_since(t0);
    check_cancel(cb);

    // Sampling.
    t0 = Clock::now();
    const NoiseGenerator noise(static_cast<uint64_t>(static_cast<uint32_t>(r.seed)));
    const int64_t n = io * frames;
    Tensor x({io, frames});
    noise.normal(0, x.data(), n);
    SamplerHooks hooks;
    hooks.velocity = [&](const float* xin, float t, float* v) {
      model_->dit().forward_cfg(xin, &t, context.data(), has_negative ? neg_context.data() : nullptr,
                                has_negative ? neg_ctx_mask.data() : nullptr, global.data(), 1, frames, ctx_tokens,
                                use_cfg ? r.cfg : 1.0f, v);
    };
    hooks.step_noise = [&](int step, float* out) { noise.normal(static_cast<uint32_t>(step + 1), out, n); };
    hooks.on_step = [&](int step, const float*, const float*, const float*) {
      if (cb.on_step) cb.on_step(step, steps);
      check_cancel(cb);
    };
    run_sampler(r.sampler, rf_schedule(steps), x.data(), n, hooks);
    timings_.sampler += seconds_since(t0);
    check_cancel(cb);

    // Decode only the frames the requested duration needs (plus one hop of margin for the
    // resampler's filter tail); chunked with overlap so memory stays bounded.
    t0 = Clock::now();
    auto& dec = model_->decoder();
    if (c.pretransform.scale != 1.0) {
      for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(x[i] * c.pretransform.scale);
    }
    const int64_t model_samples = static_cast<int64_t>(std::ceil(r.duration_s * c.sample_rate));
    const int64_t keep = std::min<int64_t>(frames * dec.hop(), model_samples + dec.hop());
    Tensor audio = dec.decode_chunked(x.data(), frames, options_.decode_chunk_frames, options_.decode_overlap_frames, keep,
                                      [&] { check_cancel(cb); });
    timings_.decoder += seconds_since(t0);
    check_cancel(cb);

    t0 = Clock::now();
    Clip clip;
    clip.sample_rate = options_.output_sample_rate;
    clip.channels = c.audio_channels;
    clip.seed = r.seed;
    const int64_t out_frames = static_cast<int64_t>(std::llround(r.duration_s * options_.output_sample_rate));
    clip.pcm = audio::to_pcm16(audio, c.sample_rate, options_.output_sample_rate, out_frames);
    timings_.postprocess += seconds_since(t0);
    return clip;
  }

  EngineOptions options_;
  ModelInfo info_;
  std::unique_ptr<SaosModel> model_;
  std::unique_ptr<text::TextEncoder> text_;
  StageTimings timings_;
};

}  // namespace

std::unique_ptr<Engine> Engine::load(const ModelFiles& files, const EngineOptions& options) {
  return std::make_unique<SaosEngine>(files, options);
}

}  // namespace foley
