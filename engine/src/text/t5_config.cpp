#include "text/t5_config.h"

#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

#include "foley/engine.h"

namespace foley::text {

namespace {

int positive_int(const nlohmann::json& j, const char* key, const std::string& label,
                 const int* fallback = nullptr) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (fallback) return *fallback;
    throw EngineError("T5 config " + label + " lacks the field \"" + key + "\"");
  }
  if (!it->is_number_integer()) {
    throw EngineError("T5 config " + label + ": \"" + key + "\" must be an integer, got " +
                      it->dump());
  }
  const auto v = it->get<int64_t>();
  // The upper bound keeps products like vocab_size * d_model far from int64 overflow.
  if (v <= 0 || v > (1 << 20)) {
    throw EngineError("T5 config " + label + ": \"" + key + "\" = " + std::to_string(v) +
                      " is out of range (1 .. 1048576)");
  }
  return static_cast<int>(v);
}

}  // namespace

T5Config T5Config::parse(const std::string& json_text, const std::string& label) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw EngineError("T5 config " + label + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw EngineError("T5 config " + label + " is not a JSON object");

  T5Config c;
  c.vocab_size = positive_int(j, "vocab_size", label);
  c.d_model = positive_int(j, "d_model", label);
  c.d_kv = positive_int(j, "d_kv", label);
  c.d_ff = positive_int(j, "d_ff", label);
  c.num_layers = positive_int(j, "num_layers", label);
  c.num_heads = positive_int(j, "num_heads", label);
  const int default_buckets = 32, default_distance = 128;
  c.relative_attention_num_buckets =
      positive_int(j, "relative_attention_num_buckets", label, &default_buckets);
  c.relative_attention_max_distance =
      positive_int(j, "relative_attention_max_distance", label, &default_distance);
  if (c.relative_attention_num_buckets < 4) {
    // Bidirectional buckets halve the count and then halve again for the exact range.
    throw EngineError("T5 config " + label + ": relative_attention_num_buckets must be >= 4");
  }
  if (c.relative_attention_max_distance <= c.relative_attention_num_buckets / 4) {
    throw EngineError("T5 config " + label +
                      ": relative_attention_max_distance must exceed num_buckets / 4");
  }

  if (auto it = j.find("layer_norm_epsilon"); it != j.end() && !it->is_null()) {
    if (!it->is_number()) {
      throw EngineError("T5 config " + label + ": \"layer_norm_epsilon\" must be a number");
    }
    const double eps = it->get<double>();
    if (!(eps > 0 && eps < 1)) {
      throw EngineError("T5 config " + label + ": \"layer_norm_epsilon\" must be in (0, 1)");
    }
    c.layer_norm_epsilon = static_cast<float>(eps);
  }

  if (auto it = j.find("feed_forward_proj"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) {
      throw EngineError("T5 config " + label + ": \"feed_forward_proj\" must be a string");
    }
    c.feed_forward_proj = it->get<std::string>();
  }
  std::string act = c.feed_forward_proj;
  if (act.rfind("gated-", 0) == 0) {
    c.gated = true;
    act = act.substr(6);
  }
  if (act == "relu") {
    c.activation = T5Activation::kRelu;
  } else if (act == "gelu") {
    // transformers maps exactly "gated-gelu" to gelu_new; plain "gelu" is the erf form.
    c.activation = c.gated ? T5Activation::kGeluTanh : T5Activation::kGeluExact;
  } else if (act == "gelu_new") {
    c.activation = T5Activation::kGeluTanh;
  } else if (act == "silu" || act == "swish") {
    c.activation = T5Activation::kSilu;
  } else {
    throw EngineError("T5 config " + label + ": unsupported feed_forward_proj \"" +
                      c.feed_forward_proj +
                      "\" (supported: relu, gelu, gelu_new, silu, each optionally gated-)");
  }
  return c;
}

T5Config T5Config::load(const std::filesystem::path& config_json) {
  std::ifstream in(config_json, std::ios::binary);
  if (!in) throw EngineError("cannot open T5 config " + config_json.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse(text, config_json.string());
}

}  // namespace foley::text
