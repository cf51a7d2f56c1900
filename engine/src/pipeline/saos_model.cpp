#include "pipeline/saos_model.h"

#include <cstring>

namespace foley {

std::unique_ptr<SaosModel> SaosModel::load(const std::filesystem::path& model_dir, Precision precision) {
  auto m = std::unique_ptr<SaosModel>(new SaosModel());
  m->config_ = load_model_config(model_dir / "model_config.json");
  std::filesystem::path weights = model_dir / "model.safetensors";
  if (!std::filesystem::exists(weights)) {
    throw EngineError(weights.string() + ": missing (the checkpoint must be in safetensors format)");
  }
  m->weights_ = io::SafetensorsFile::open(weights);
  const io::SafetensorsFile& f = *m->weights_;
  const ModelConfig& c = m->config_;
  for (const auto& n : c.conditioning.numbers) {
    m->numbers_[n.id] = std::make_unique<NumberConditioner>(
        n, c.conditioning.cond_dim, WeightReader(f, "conditioner.conditioners." + n.id + "."));
  }
  if (c.dit.cond_token_dim != c.conditioning.cond_dim || c.dit.global_cond_dim != c.conditioning.cond_dim) {
    throw EngineError(c.source + ": model.diffusion.config cond_token_dim/global_cond_dim must equal conditioning.cond_dim");
  }
  m->dit_ = std::make_unique<DiffusionTransformer>(c.dit, WeightReader(f, "model.model."),
                                                 precision == Precision::kBF16);
  m->decoder_ = std::make_unique<OobleckDecoder>(c.pretransform.decoder, WeightReader(f, "pretransform.model.decoder."),
                                                precision == Precision::kBF16);
  return m;
}

const NumberConditioner& SaosModel::number(const std::string& id) const {
  auto it = numbers_.find(id);
  if (it == numbers_.end()) throw EngineError(config_.source + ": no number conditioner '" + id + "'");
  return *it->second;
}

int SaosModel::prompt_tokens() const {
  return config_.conditioning.prompt ? config_.conditioning.prompt->max_length : 64;
}

int SaosModel::context_tokens() const {
  int n = 0;
  for (const auto& id : config_.dit.cross_attention_cond_ids) {
    n += numbers_.count(id) ? 1 : prompt_tokens();
  }
  return n;
}

void SaosModel::conditioning(const float* prompt_embedding, const float* prompt_mask, double seconds_total,
                             float* context, float* mask, float* global_cond) const {
  const int64_t C = config_.conditioning.cond_dim;
  auto value_of = [&](const std::string& id) { return id == "seconds_total" ? seconds_total : 0.0; };
  int64_t row = 0;
  for (const auto& id : config_.dit.cross_attention_cond_ids) {
    if (numbers_.count(id)) {
      number(id).embed(value_of(id), context + row * C);
      mask[row] = 1.0f;
      ++row;
    } else {
      const int64_t n = prompt_tokens();
      if (prompt_embedding) {
        std::memcpy(context + row * C, prompt_embedding, static_cast<std::size_t>(n * C) * sizeof(float));
      } else {
        std::fill(context + row * C, context + (row + n) * C, 0.0f);
      }
      for (int64_t i = 0; i < n; ++i) mask[row + i] = prompt_mask ? prompt_mask[i] : (prompt_embedding ? 1.0f : 0.0f);
      row += n;
    }
  }
  const std::string& gid = config_.dit.global_cond_ids.front();
  number(gid).embed(value_of(gid), global_cond);
}

}  // namespace foley
