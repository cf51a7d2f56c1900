// model_config.json (the stable-audio-tools schema, model_type "diffusion_cond") parsed into
// one plain struct per model part. No shape is hard-coded anywhere else: SAOS, the saos-tiny
// fixture and Foley's own small models all load through here. Unsupported variants (adaLN
// global conditioning, patching, non-Oobleck autoencoders, ...) are rejected with an error
// that names the field, rather than silently computing something else.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "foley/engine.h"

namespace foley {

struct NumberConditionerConfig {
  std::string id;          // e.g. "seconds_total"
  double min_val = 0;
  double max_val = 1;
};

struct PromptConditionerConfig {
  std::string id;          // e.g. "prompt"
  std::string t5_model_name;
  int max_length = 64;
};

struct ConditioningConfig {
  int cond_dim = 0;
  std::vector<NumberConditionerConfig> numbers;
  std::optional<PromptConditionerConfig> prompt;  // absent in the saos-tiny fixture
};

struct DitConfig {
  int io_channels = 0;
  int embed_dim = 0;
  int depth = 0;
  int num_heads = 0;
  int cond_token_dim = 0;
  int global_cond_dim = 0;
  bool project_cond_tokens = true;
  bool project_global_cond = true;
  bool qk_layer_norm = false;      // attn_kwargs.qk_norm == "ln"
  int timestep_features_dim = 256;
  std::string diffusion_objective; // "rf_denoiser" or "rectified_flow"
  std::vector<std::string> cross_attention_cond_ids;
  std::vector<std::string> global_cond_ids;
  int head_dim() const { return embed_dim / num_heads; }
};

struct OobleckDecoderConfig {
  int out_channels = 2;
  int channels = 0;
  std::vector<int> c_mults;        // as in the file (the decoder prepends 1 itself)
  std::vector<int> strides;
  int latent_dim = 0;
  bool use_snake = true;
  bool final_tanh = false;
  bool use_nearest_upsample = false;  // repeat + conv instead of transposed convs
};

struct PretransformConfig {
  OobleckDecoderConfig decoder;
  int latent_dim = 0;
  int downsampling_ratio = 0;
  int io_channels = 2;
  double scale = 1.0;
};

// Optional top-level "sampling" object, a Foley addition that stable-audio-tools ignores: the
// sampler and step count a model was tuned for, used when a request leaves them to the model.
// Without it a model gets its objective's defaults (rf_denoiser: ping-pong 8; rectified_flow:
// Euler 50), which for a small model like foley-mini would spend twice the time needed.
struct SamplingConfig {
  Sampler sampler = Sampler::kEuler;  // "pingpong", "euler" or "dpmpp" in the file
  int steps = 0;
};

struct ModelConfig {
  std::string source;              // file path, for messages
  std::string model_type;
  int sample_size = 0;
  int sample_rate = 0;
  int audio_channels = 2;
  ConditioningConfig conditioning;
  DitConfig dit;
  PretransformConfig pretransform;
  std::optional<SamplingConfig> sampling;
  int latent_frames() const { return sample_size / pretransform.downsampling_ratio; }
};

// Throws EngineError naming `source` and the offending field.
ModelConfig parse_model_config(const std::string& json_text, const std::string& source);
ModelConfig load_model_config(const std::filesystem::path& path);

}  // namespace foley
