#include "model/model_config.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "foley/engine.h"
#include "pipeline/samplers.h"

namespace foley {

namespace {

using nlohmann::json;

// Field access with errors that name the JSON path, so a user can fix their config.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw EngineError(source_ + ": " + path + ": " + what);
  }
  const json& object(const json& parent, const std::string& key, const std::string& path) const {
    auto it = parent.find(key);
    if (it == parent.end()) fail(path + key, "missing field");
    if (!it->is_object()) fail(path + key, "must be an object");
    return *it;
  }
  int integer(const json& parent, const std::string& key, const std::string& path, int lo, int hi,
              std::optional<int> fallback = std::nullopt) const {
    auto it = parent.find(key);
    if (it == parent.end()) {
      if (fallback) return *fallback;
      fail(path + key, "missing field");
    }
    if (!it->is_number_integer()) fail(path + key, "must be an integer");
    int64_t v = it->get<int64_t>();
    if (v < lo || v > hi) {
      fail(path + key, "value " + std::to_string(v) + " out of range [" + std::to_string(lo) + ", " +
                           std::to_string(hi) + "]");
    }
    return static_cast<int>(v);
  }
  double number(const json& parent, const std::string& key, const std::string& path,
                std::optional<double> fallback = std::nullopt) const {
    auto it = parent.find(key);
    if (it == parent.end()) {
      if (fallback) return *fallback;
      fail(path + key, "missing field");
    }
    if (!it->is_number()) fail(path + key, "must be a number");
    return it->get<double>();
  }
  bool boolean(const json& parent, const std::string& key, const std::string& path, bool fallback) const {
    auto it = parent.find(key);
    if (it == parent.end()) return fallback;
    if (!it->is_boolean()) fail(path + key, "must be true or false");
    return it->get<bool>();
  }
  std::string string(const json& parent, const std::string& key, const std::string& path,
                     std::optional<std::string> fallback = std::nullopt) const {
    auto it = parent.find(key);
    if (it == parent.end()) {
      if (fallback) return *fallback;
      fail(path + key, "missing field");
    }
    if (!it->is_string()) fail(path + key, "must be a string");
    return it->get<std::string>();
  }
  std::vector<int> int_list(const json& parent, const std::string& key, const std::string& path) const {
    auto it = parent.find(key);
    if (it == parent.end()) fail(path + key, "missing field");
    if (!it->is_array() || it->empty()) fail(path + key, "must be a non-empty array of integers");
    std::vector<int> out;
    for (const auto& v : *it) {
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 65536) {
        fail(path + key, "entries must be integers in [1, 65536]");
      }
      out.push_back(static_cast<int>(v.get<int64_t>()));
    }
    return out;
  }
  std::vector<std::string> string_list(const json& parent, const std::string& key,
                                       const std::string& path) const {
    std::vector<std::string> out;
    auto it = parent.find(key);
    if (it == parent.end()) return out;
    if (!it->is_array()) fail(path + key, "must be an array of strings");
    for (const auto& v : *it) {
      if (!v.is_string()) fail(path + key, "must be an array of strings");
      out.push_back(v.get<std::string>());
    }
    return out;
  }

 private:
  std::string source_;
};

constexpr int kMaxDim = 1 << 16;

OobleckDecoderConfig parse_decoder(const Reader& r, const json& pre) {
  const json& dec = r.object(pre, "decoder", "model.pretransform.config.");
  const std::string type = r.string(dec, "type", "model.pretransform.config.decoder.");
  if (type != "oobleck") r.fail("model.pretransform.config.decoder.type", "unsupported decoder '" + type + "' (only oobleck)");
  const json& c = r.object(dec, "config", "model.pretransform.config.decoder.");
  const std::string p = "model.pretransform.config.decoder.config.";
  OobleckDecoderConfig d;
  d.out_channels = r.integer(c, "out_channels", p, 1, 16, 2);
  d.channels = r.integer(c, "channels", p, 1, kMaxDim);
  d.c_mults = r.int_list(c, "c_mults", p);
  d.strides = r.int_list(c, "strides", p);
  d.latent_dim = r.integer(c, "latent_dim", p, 1, kMaxDim);
  d.use_snake = r.boolean(c, "use_snake", p, false);
  d.final_tanh = r.boolean(c, "final_tanh", p, true);
  d.use_nearest_upsample = r.boolean(c, "use_nearest_upsample", p, false);
  if (d.c_mults.size() != d.strides.size()) r.fail(p + "strides", "must have as many entries as c_mults");
  if (r.boolean(c, "antialias_activation", p, false)) r.fail(p + "antialias_activation", "not supported");
  for (int m : d.c_mults) {
    if (static_cast<int64_t>(m) * d.channels > kMaxDim) r.fail(p + "c_mults", "channels too large");
  }
  return d;
}

}  // namespace

ModelConfig parse_model_config(const std::string& json_text, const std::string& source) {
  Reader r(source);
  json root = json::parse(json_text, nullptr, false);
  if (root.is_discarded()) throw EngineError(source + ": not valid JSON");
  if (!root.is_object()) throw EngineError(source + ": top level must be a JSON object");

  ModelConfig cfg;
  cfg.source = source;
  cfg.model_type = r.string(root, "model_type", "");
  if (cfg.model_type != "diffusion_cond") {
    r.fail("model_type", "unsupported '" + cfg.model_type + "' (only diffusion_cond)");
  }
  cfg.sample_size = r.integer(root, "sample_size", "", 1, 1 << 26);
  cfg.sample_rate = r.integer(root, "sample_rate", "", 1000, 384000);
  cfg.audio_channels = r.integer(root, "audio_channels", "", 1, 16, 2);
  const json& model = r.object(root, "model", "");
  if (auto it = root.find("sampling"); it != root.end()) {
    if (!it->is_object()) r.fail("sampling", "must be an object");
    SamplingConfig s;
    try {
      s.sampler = parse_sampler(r.string(*it, "sampler", "sampling."));
    } catch (const EngineError& e) {
      r.fail("sampling.sampler", e.what());
    }
    s.steps = r.integer(*it, "steps", "sampling.", 1, 500);
    cfg.sampling = s;
  }

  // Pretransform (Oobleck autoencoder; only the decoder is needed for text-to-audio).
  const json& pt = r.object(model, "pretransform", "model.");
  const std::string pt_type = r.string(pt, "type", "model.pretransform.");
  if (pt_type != "autoencoder") r.fail("model.pretransform.type", "unsupported '" + pt_type + "' (only autoencoder)");
  const json& ptc = r.object(pt, "config", "model.pretransform.");
  cfg.pretransform.decoder = parse_decoder(r, ptc);
  cfg.pretransform.latent_dim = r.integer(ptc, "latent_dim", "model.pretransform.config.", 1, kMaxDim);
  cfg.pretransform.downsampling_ratio = r.integer(ptc, "downsampling_ratio", "model.pretransform.config.", 1, 1 << 20);
  cfg.pretransform.io_channels = r.integer(ptc, "io_channels", "model.pretransform.config.", 1, 16, 2);
  cfg.pretransform.scale = r.number(pt, "scale", "model.pretransform.", 1.0);
  if (auto it = ptc.find("bottleneck"); it != ptc.end()) {
    if (!it->is_object()) r.fail("model.pretransform.config.bottleneck", "must be an object");
    const std::string bt = r.string(*it, "type", "model.pretransform.config.bottleneck.");
    if (bt != "vae") r.fail("model.pretransform.config.bottleneck.type", "unsupported '" + bt + "' (only vae)");
  }
  int64_t product = 1;
  for (int s : cfg.pretransform.decoder.strides) product *= s;
  if (product != cfg.pretransform.downsampling_ratio) {
    r.fail("model.pretransform.config.downsampling_ratio",
           "does not equal the product of the decoder strides (" + std::to_string(product) + ")");
  }
  if (cfg.pretransform.decoder.latent_dim != cfg.pretransform.latent_dim) {
    r.fail("model.pretransform.config.decoder.config.latent_dim", "differs from pretransform latent_dim");
  }
  if (cfg.pretransform.decoder.out_channels != cfg.audio_channels) {
    r.fail("model.pretransform.config.decoder.config.out_channels", "differs from audio_channels");
  }
  if (cfg.sample_size % cfg.pretransform.downsampling_ratio != 0) {
    r.fail("sample_size", "is not a multiple of the downsampling ratio");
  }

  // Conditioning.
  const json& cond = r.object(model, "conditioning", "model.");
  cfg.conditioning.cond_dim = r.integer(cond, "cond_dim", "model.conditioning.", 1, kMaxDim);
  auto configs = cond.find("configs");
  if (configs == cond.end() || !configs->is_array()) r.fail("model.conditioning.configs", "missing array");
  for (std::size_t i = 0; i < configs->size(); ++i) {
    const json& c = (*configs)[i];
    const std::string p = "model.conditioning.configs[" + std::to_string(i) + "].";
    if (!c.is_object()) r.fail(p, "must be an object");
    const std::string id = r.string(c, "id", p);
    const std::string type = r.string(c, "type", p);
    const json& cc = r.object(c, "config", p);
    if (type == "number") {
      NumberConditionerConfig n;
      n.id = id;
      n.min_val = r.number(cc, "min_val", p + "config.", 0.0);
      n.max_val = r.number(cc, "max_val", p + "config.", 1.0);
      if (!(n.max_val > n.min_val)) r.fail(p + "config.max_val", "must be greater than min_val");
      cfg.conditioning.numbers.push_back(n);
    } else if (type == "t5") {
      if (cfg.conditioning.prompt) r.fail(p + "type", "only one t5 conditioner is supported");
      PromptConditionerConfig t;
      t.id = id;
      t.t5_model_name = r.string(cc, "t5_model_name", p + "config.", std::string("t5-base"));
      t.max_length = r.integer(cc, "max_length", p + "config.", 1, 4096, 128);
      cfg.conditioning.prompt = t;
    } else {
      r.fail(p + "type", "unsupported conditioner type '" + type + "' (number, t5)");
    }
  }

  // Diffusion transformer.
  const json& diff = r.object(model, "diffusion", "model.");
  const std::string dtype = r.string(diff, "type", "model.diffusion.");
  if (dtype != "dit") r.fail("model.diffusion.type", "unsupported '" + dtype + "' (only dit)");
  DitConfig& d = cfg.dit;
  d.diffusion_objective = r.string(diff, "diffusion_objective", "model.diffusion.", std::string("v"));
  if (d.diffusion_objective != "rf_denoiser" && d.diffusion_objective != "rectified_flow") {
    r.fail("model.diffusion.diffusion_objective",
           "unsupported '" + d.diffusion_objective + "' (rf_denoiser, rectified_flow)");
  }
  d.cross_attention_cond_ids = r.string_list(diff, "cross_attention_cond_ids", "model.diffusion.");
  d.global_cond_ids = r.string_list(diff, "global_cond_ids", "model.diffusion.");
  if (diff.contains("input_concat_ids") && !r.string_list(diff, "input_concat_ids", "model.diffusion.").empty()) {
    r.fail("model.diffusion.input_concat_ids", "not supported");
  }
  if (diff.contains("prepend_cond_ids") && !r.string_list(diff, "prepend_cond_ids", "model.diffusion.").empty()) {
    r.fail("model.diffusion.prepend_cond_ids", "not supported");
  }
  const json& dc = r.object(diff, "config", "model.diffusion.");
  const std::string p = "model.diffusion.config.";
  d.io_channels = r.integer(dc, "io_channels", p, 1, kMaxDim);
  d.embed_dim = r.integer(dc, "embed_dim", p, 1, kMaxDim);
  d.depth = r.integer(dc, "depth", p, 1, 1024);
  d.num_heads = r.integer(dc, "num_heads", p, 1, 1024);
  d.cond_token_dim = r.integer(dc, "cond_token_dim", p, 0, kMaxDim, 0);
  d.global_cond_dim = r.integer(dc, "global_cond_dim", p, 0, kMaxDim, 0);
  d.project_cond_tokens = r.boolean(dc, "project_cond_tokens", p, true);
  d.project_global_cond = r.boolean(dc, "project_global_cond", p, true);
  d.timestep_features_dim = r.integer(dc, "timestep_features_dim", p, 2, kMaxDim, 256);
  if (d.embed_dim % d.num_heads != 0) r.fail(p + "num_heads", "must divide embed_dim");
  if (r.integer(dc, "patch_size", p, 1, 1024, 1) != 1) r.fail(p + "patch_size", "only 1 is supported");
  if (r.integer(dc, "input_concat_dim", p, 0, kMaxDim, 0) != 0) r.fail(p + "input_concat_dim", "not supported");
  if (r.integer(dc, "prepend_cond_dim", p, 0, kMaxDim, 0) != 0) r.fail(p + "prepend_cond_dim", "not supported");
  if (r.string(dc, "transformer_type", p, std::string("continuous_transformer")) != "continuous_transformer") {
    r.fail(p + "transformer_type", "only continuous_transformer is supported");
  }
  if (r.string(dc, "global_cond_type", p, std::string("prepend")) != "prepend") {
    r.fail(p + "global_cond_type", "only prepend is supported");
  }
  if (r.string(dc, "timestep_cond_type", p, std::string("global")) != "global") {
    r.fail(p + "timestep_cond_type", "only global is supported");
  }
  if (auto it = dc.find("attn_kwargs"); it != dc.end()) {
    if (!it->is_object()) r.fail(p + "attn_kwargs", "must be an object");
    if (auto q = it->find("qk_norm"); q != it->end()) {
      if (q->is_string() && q->get<std::string>() == "ln") {
        d.qk_layer_norm = true;
      } else if (!(q->is_boolean() && !q->get<bool>()) && !q->is_null()) {
        r.fail(p + "attn_kwargs.qk_norm", "only \"ln\" (or none) is supported");
      }
    }
  }
  if (d.io_channels != cfg.pretransform.latent_dim) {
    r.fail(p + "io_channels", "differs from the pretransform latent_dim");
  }
  if (d.global_cond_dim == 0) r.fail(p + "global_cond_dim", "must be set (prepend global conditioning)");
  if (!d.project_cond_tokens && d.cond_token_dim != d.embed_dim && d.cond_token_dim != 0) {
    r.fail(p + "cond_token_dim", "must equal embed_dim when project_cond_tokens is false");
  }
  if (!d.project_global_cond && d.global_cond_dim != d.embed_dim) {
    r.fail(p + "global_cond_dim", "must equal embed_dim when project_global_cond is false");
  }

  // Every conditioning id the DiT consumes must be produced by a conditioner.
  auto produced = [&](const std::string& id) {
    if (cfg.conditioning.prompt && cfg.conditioning.prompt->id == id) return true;
    for (const auto& n : cfg.conditioning.numbers) if (n.id == id) return true;
    return false;
  };
  for (const auto& id : d.cross_attention_cond_ids) {
    // The prompt id may be missing in fixtures that feed the T5 output directly.
    if (!produced(id) && id != "prompt") r.fail("model.diffusion.cross_attention_cond_ids", "unknown conditioner '" + id + "'");
  }
  if (d.global_cond_ids.size() != 1) r.fail("model.diffusion.global_cond_ids", "exactly one id is supported");
  for (const auto& id : d.global_cond_ids) {
    bool is_number = false;
    for (const auto& n : cfg.conditioning.numbers) if (n.id == id) is_number = true;
    if (!is_number) r.fail("model.diffusion.global_cond_ids", "'" + id + "' must be a number conditioner");
  }
  if (d.cross_attention_cond_ids.empty() || d.cond_token_dim == 0) {
    r.fail("model.diffusion.cross_attention_cond_ids", "text-to-audio models need cross-attention conditioning");
  }
  return cfg;
}

ModelConfig load_model_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw EngineError(path.string() + ": cannot open model config");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_model_config(ss.str(), path.string());
}

}  // namespace foley
