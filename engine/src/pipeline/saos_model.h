// SaosModel: the parts of one Stable Audio Open (Small)-family checkpoint, loaded from the
// publisher's layout (model_config.json + model.safetensors with the official key names):
// number conditioners (conditioner.conditioners.<id>.*), the DiT (model.model.*) and the
// Oobleck decoder (pretransform.model.decoder.*). The T5 prompt encoder lives apart (text/).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "foley/engine.h"
#include "io/safetensors.h"
#include "model/dit.h"
#include "model/model_config.h"
#include "model/number_conditioner.h"
#include "model/oobleck_decoder.h"

namespace foley {

class SaosModel {
 public:
  // precision kBF16 runs the DiT's large linears in BF16 where the CPU supports it.
  static std::unique_ptr<SaosModel> load(const std::filesystem::path& model_dir,
                                         Precision precision = Precision::kF32);

  const ModelConfig& config() const { return config_; }
  DiffusionTransformer& dit() { return *dit_; }
  OobleckDecoder& decoder() { return *decoder_; }
  const NumberConditioner& number(const std::string& id) const;

  // Prompt-token rows in the cross-attention context (T5 max_length, 64 when the config has
  // no prompt conditioner, as in the fixtures).
  int prompt_tokens() const;
  int context_tokens() const;

  // Builds the DiT conditioning for one clip from the prompt embedding rows
  // ([prompt_tokens, cond_dim], padded rows zeroed; null = zeros) and the seconds value.
  // context: [context_tokens, cond_dim]; mask: [context_tokens] (prompt mask + 1 per number);
  // global_cond: [global_cond_dim].
  void conditioning(const float* prompt_embedding, const float* prompt_mask, double seconds_total,
                    float* context, float* mask, float* global_cond) const;

 private:
  ModelConfig config_;
  std::unique_ptr<io::SafetensorsFile> weights_;
  std::map<std::string, std::unique_ptr<NumberConditioner>> numbers_;
  std::unique_ptr<DiffusionTransformer> dit_;
  std::unique_ptr<OobleckDecoder> decoder_;
};

}  // namespace foley
