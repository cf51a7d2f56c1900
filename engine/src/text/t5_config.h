// T5Config: the fields of a Hugging Face T5 config.json that the encoder needs, parsed and
// validated (every number positive, the feed-forward kind known).
#pragma once

#include <filesystem>
#include <string>

namespace foley::text {

enum class T5Activation { kRelu, kGeluExact, kGeluTanh, kSilu };

struct T5Config {
  int vocab_size = 0;
  int d_model = 0;
  int d_kv = 0;
  int d_ff = 0;
  int num_layers = 0;
  int num_heads = 0;
  int relative_attention_num_buckets = 32;
  int relative_attention_max_distance = 128;
  float layer_norm_epsilon = 1e-6f;
  std::string feed_forward_proj = "relu";
  // Derived from feed_forward_proj as transformers' T5Config does: "gated-ACT" -> gated,
  // and "gated-gelu" means the tanh approximation (gelu_new).
  bool gated = false;
  T5Activation activation = T5Activation::kRelu;

  int inner_dim() const { return num_heads * d_kv; }

  // Parses config.json text; `label` names the file in error messages.
  static T5Config parse(const std::string& json_text, const std::string& label);
  static T5Config load(const std::filesystem::path& config_json);
};

}  // namespace foley::text
