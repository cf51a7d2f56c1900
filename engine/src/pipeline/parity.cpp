// foley::check_fixture: recomputes every reference tensor of a fixture folder with the
// engine's own code and compares (max abs error, cosine). SAOS fixtures (model_config.json)
// are checked here; T5 fixtures (config.json) by the text encoder's own checker.
#include "foley/parity.h"

#include <cmath>
#include <cstring>
#include <string>

#include "foley/engine.h"
#include "io/safetensors.h"
#include "pipeline/saos_model.h"
#include "pipeline/samplers.h"

#if __has_include("text/t5_fixture_check.h")
#include "text/t5_fixture_check.h"
#define FOLEY_HAVE_T5_CHECK 1
#endif

namespace foley {

namespace {

class Checker {
 public:
  Checker(ParityReport& report, const io::SafetensorsFile& cases) : report_(report), cases_(cases) {}

  Tensor ref(const std::string& name) const { return cases_.load_f32(name); }
  // A reference input whose shape the computation relies on: a malformed fixture must give
  // an error, never an out-of-bounds read.
  Tensor input(const std::string& name, const Shape& shape) const { return cases_.load_f32(name, shape); }
  Tensor input3(const std::string& name) const {
    Tensor t = cases_.load_f32(name);
    if (t.ndim() != 3 || t.numel() == 0) throw EngineError(cases_.path() + ": tensor '" + name + "' must be 3-D and non-empty");
    return t;
  }
  bool has(const std::string& name) const { return cases_.contains(name); }
  double meta(const std::string& key, double fallback) const {
    auto it = cases_.metadata().find(key);
    if (it == cases_.metadata().end()) return fallback;
    try {
      return std::stod(it->second);
    } catch (const std::exception&) {
      throw EngineError(cases_.path() + ": metadata '" + key + "' is not a number");
    }
  }

  void compare(const std::string& name, const float* ours, int64_t n) {
    const Tensor r = ref(name);
    ParityCase c;
    c.name = name;
    if (r.numel() != n) {
      c.max_abs_error = INFINITY;
      report_.cases.push_back(c);
      return;
    }
    double dot = 0, na = 0, nb = 0, err = 0, mref = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double a = ours[i], b = r[i];
      dot += a * b;
      na += a * a;
      nb += b * b;
      err = std::max(err, std::fabs(a - b));
      mref = std::max(mref, std::fabs(b));
      if (std::isnan(a)) err = INFINITY;
    }
    c.max_abs_error = err;
    c.max_abs_reference = mref;
    c.cosine = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
    const double rel = mref > 0 ? err / mref : err;
    c.passed = c.cosine >= report_.min_cosine && rel <= report_.max_relative_error;
    report_.cases.push_back(c);
  }
  void compare(const std::string& name, const Tensor& ours) { compare(name, ours.data(), ours.numel()); }

 private:
  ParityReport& report_;
  const io::SafetensorsFile& cases_;
};

void check_seconds(SaosModel& model, Checker& ck) {
  if (!ck.has("seconds.input")) return;
  const Tensor in = ck.ref("seconds.input");
  if (in.ndim() != 1) throw EngineError("seconds.input must be 1-D");
  const auto& cond = model.number("seconds_total");
  Tensor out({in.numel(), 1, cond.cond_dim()});
  for (int64_t i = 0; i < in.numel(); ++i) cond.embed(in[i], out.data() + i * cond.cond_dim());
  ck.compare("seconds.output", out);
}

void check_dit(SaosModel& model, Checker& ck) {
  if (!ck.has("dit.x")) return;
  const DitConfig& dc = model.config().dit;
  const Tensor x = ck.input3("dit.x");
  const int64_t b64 = x.dim(0), frames64 = x.dim(2);
  if (x.dim(1) != dc.io_channels) throw EngineError("dit.x: channel count differs from the model's io_channels");
  const Tensor t = ck.input("dit.t", {b64});
  const Tensor ctx = ck.input3("dit.cross_attn_cond");
  if (ctx.dim(0) != b64 || ctx.dim(2) != dc.cond_token_dim) throw EngineError("dit.cross_attn_cond: shape does not match dit.x / the model");
  const Tensor g = ck.input("dit.global_cond", {b64, dc.global_cond_dim});
  const int batch = static_cast<int>(b64), frames = static_cast<int>(frames64), nc = static_cast<int>(ctx.dim(1));
  auto& dit = model.dit();
  Tensor v(x.shape()), uv(x.shape());
  DitTrace trace;
  dit.forward(x.data(), t.data(), ctx.data(), g.data(), batch, frames, nc, v.data(), &trace);
  ck.compare("dit.cfg1.v", v);
  const std::pair<const char*, const Tensor*> traced[] = {
      {"dit.cfg1.timestep_embed", &trace.timestep_embed},
      {"dit.cfg1.global_embed_proj", &trace.global_embed_proj},
      {"dit.cfg1.cond_embed", &trace.cond_embed},
      {"dit.cfg1.project_in_input", &trace.project_in_input},
      {"dit.cfg1.project_in_output", &trace.project_in_output},
      {"dit.cfg1.block0_input", &trace.block0_input},
      {"dit.cfg1.block0_self_attn_out", &trace.block0_self_attn_out},
      {"dit.cfg1.block0_cross_attn_out", &trace.block0_cross_attn_out},
      {"dit.cfg1.block0_ff_out", &trace.block0_ff_out},
      {"dit.cfg1.project_out_output", &trace.project_out_output}};
  for (const auto& [name, tensor] : traced) {
    if (ck.has(name)) ck.compare(name, *tensor);
  }
  for (std::size_t i = 0; i < trace.block_outputs.size(); ++i) {
    const std::string name = "dit.cfg1.block" + std::to_string(i) + "_output";
    if (ck.has(name)) ck.compare(name, trace.block_outputs[i]);
  }
  const float scale = static_cast<float>(ck.meta("dit.cfg_scale", 4.5));
  if (ck.has("dit.cfg.v")) {
    dit.forward_cfg(x.data(), t.data(), ctx.data(), nullptr, nullptr, g.data(), batch, frames, nc, scale, v.data(), uv.data());
    ck.compare("dit.cfg.v", v);
    if (ck.has("dit.cfg.uncond_v")) ck.compare("dit.cfg.uncond_v", uv);
  }
  if (ck.has("dit.cfg_neg.v")) {
    const Tensor neg = ck.input("dit.neg_cross_attn_cond", ctx.shape());
    const Tensor neg_mask = ck.input("dit.neg_cross_attn_mask", {b64, ctx.dim(1)});
    dit.forward_cfg(x.data(), t.data(), ctx.data(), neg.data(), neg_mask.data(), g.data(), batch, frames, nc, scale,
                    v.data(), uv.data());
    ck.compare("dit.cfg_neg.v", v);
    if (ck.has("dit.cfg_neg.uncond_v")) ck.compare("dit.cfg_neg.uncond_v", uv);
  }
}

// Full ping-pong run replaying the stored noises (torch's RNG is not reproduced).
void check_sample(SaosModel& model, Checker& ck, const std::string& p) {
  if (!ck.has(p + ".noise_init")) return;
  const int steps = static_cast<int>(ck.meta(p + ".steps", 8));
  const float cfg = static_cast<float>(ck.meta(p + ".cfg_scale", 1.0));
  const std::vector<float> sigmas = rf_schedule(steps);
  ck.compare(p + ".sigmas", sigmas.data(), static_cast<int64_t>(sigmas.size()));

  const int ctx_tokens = model.context_tokens();
  const int64_t C = model.config().conditioning.cond_dim;
  const int64_t pt = model.prompt_tokens();
  const Tensor prompt = ck.input(p + ".prompt", {1, pt, C}), prompt_mask = ck.input(p + ".prompt_mask", {1, pt});
  const double seconds = ck.input(p + ".seconds_total", {1})[0];
  if (steps < 1 || steps > 1000) throw EngineError(p + ".steps metadata out of range");
  Tensor context({ctx_tokens, C}), mask({ctx_tokens}), global({model.config().dit.global_cond_dim});
  model.conditioning(prompt.data(), prompt_mask.data(), seconds, context.data(), mask.data(), global.data());
  ck.compare(p + ".cross_attn_cond", context);
  ck.compare(p + ".global_cond", global);
  Tensor neg_context, neg_mask;
  const bool has_neg = ck.has(p + ".neg_prompt");
  if (has_neg) {
    const Tensor np = ck.input(p + ".neg_prompt", {1, pt, C}), npm = ck.input(p + ".neg_prompt_mask", {1, pt});
    neg_context = Tensor({ctx_tokens, C});
    neg_mask = Tensor({ctx_tokens});
    Tensor unused(global.shape());
    model.conditioning(np.data(), npm.data(), seconds, neg_context.data(), neg_mask.data(), unused.data());
  }

  Tensor x = ck.input3(p + ".noise_init");
  const int64_t io = x.dim(1), frames = x.dim(2), n = io * frames;
  if (x.dim(0) != 1 || io != model.config().dit.io_channels) throw EngineError(p + ".noise_init: shape does not match the model");
  const Tensor step_noise = ck.input(p + ".step_noise", {steps, 1, io, frames});
  Tensor step_x({steps, 1, io, frames}), step_v(step_x.shape()), step_d(step_x.shape());
  SamplerHooks hooks;
  hooks.velocity = [&](const float* xin, float t, float* v) {
    model.dit().forward_cfg(xin, &t, context.data(), has_neg ? neg_context.data() : nullptr,
                            has_neg ? neg_mask.data() : nullptr, global.data(), 1, static_cast<int>(frames), ctx_tokens,
                            cfg, v);
  };
  hooks.step_noise = [&](int step, float* out) {
    std::memcpy(out, step_noise.data() + step * n, static_cast<std::size_t>(n) * sizeof(float));
  };
  hooks.on_step = [&](int step, const float* xb, const float* v, const float* d) {
    std::memcpy(step_x.data() + step * n, xb, static_cast<std::size_t>(n) * sizeof(float));
    std::memcpy(step_v.data() + step * n, v, static_cast<std::size_t>(n) * sizeof(float));
    std::memcpy(step_d.data() + step * n, d, static_cast<std::size_t>(n) * sizeof(float));
  };
  run_sampler(Sampler::kPingPong, sigmas, x.data(), n, hooks);
  ck.compare(p + ".step_x", step_x);
  ck.compare(p + ".step_v", step_v);
  ck.compare(p + ".step_denoised", step_d);
  ck.compare(p + ".latent", x);
}

void check_decode(SaosModel& model, Checker& ck) {
  auto& dec = model.decoder();
  if (ck.has("decode.latent")) {
    const Tensor z = ck.input3("decode.latent");
    if (z.dim(0) != 1 || z.dim(1) != dec.latent_dim()) throw EngineError("decode.latent: shape does not match the decoder");
    const int64_t frames = z.dim(2);
    ck.compare("decode.audio", dec.decode(z.data(), frames));
    // Chunked decode (8-frame chunks, 16 frames of context each side) must match the whole
    // decode: the context exceeds the decoder's receptive field.
    Tensor chunked = dec.decode_chunked(z.data(), frames, 8, 32, frames * dec.hop());
    ck.compare("decode.audio", chunked);  // renamed "(chunked ...)" in check_fixture
  }
  if (ck.has("decode2.latent")) {
    const Tensor z = ck.input3("decode2.latent");
    if (z.dim(0) != 1 || z.dim(1) != dec.latent_dim()) throw EngineError("decode2.latent: shape does not match the decoder");
    std::vector<Tensor> layers;
    Tensor audio = dec.decode(z.data(), z.dim(2), &layers);
    ck.compare("decode2.audio", audio);
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const std::string name = "decode2.layer" + std::to_string(i);
      if (ck.has(name)) ck.compare(name, layers[i]);
    }
  }
}

}  // namespace

ParityReport check_fixture(const std::filesystem::path& dir) {
  ParityReport report;
  report.fixture = dir.string();
  if (std::filesystem::exists(dir / "model_config.json")) {
    report.kind = "saos";
    auto model = SaosModel::load(dir);
    auto cases = io::SafetensorsFile::open(dir / "cases.safetensors");
    Checker ck(report, *cases);
    check_seconds(*model, ck);
    check_dit(*model, ck);
    check_sample(*model, ck, "sample");
    check_sample(*model, ck, "sample_cfg");
    check_decode(*model, ck);
    int seen = 0;
    for (auto& c : report.cases) {
      if (c.name == "decode.audio" && seen++ == 1) c.name = "decode.audio (chunked 8+16)";
    }
    return report;
  }
  if (std::filesystem::exists(dir / "config.json")) {
#ifdef FOLEY_HAVE_T5_CHECK
    return text::check_t5_fixture(dir);
#else
    throw EngineError(dir.string() + ": T5 fixtures are not supported by this build yet");
#endif
  }
  throw EngineError(dir.string() + ": not a fixture folder (no model_config.json or config.json)");
}

}  // namespace foley
