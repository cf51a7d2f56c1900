#include "text/t5_fixture_check.h"

#include <cmath>
#include <string>
#include <vector>

#include "foley/engine.h"
#include "io/safetensors.h"
#include "text/t5_encoder.h"

namespace foley::text {

namespace {

ParityCase compare(const std::string& name, const Tensor& ours, const Tensor& reference,
                   const ParityReport& report) {
  if (ours.shape() != reference.shape()) {
    throw EngineError("T5 fixture: computed " + name + " has shape " + shape_string(ours.shape()) +
                      " but the reference has " + shape_string(reference.shape()));
  }
  ParityCase c;
  c.name = name;
  double dot = 0, n_ours = 0, n_ref = 0;
  for (int64_t i = 0; i < ours.numel(); ++i) {
    const double a = ours[i], b = reference[i];
    c.max_abs_error = std::max(c.max_abs_error, std::abs(a - b));
    c.max_abs_reference = std::max(c.max_abs_reference, std::abs(b));
    dot += a * b;
    n_ours += a * a;
    n_ref += b * b;
  }
  // Two all-zero tensors agree exactly; one zero and one not do not.
  if (n_ours == 0 && n_ref == 0) {
    c.cosine = 1.0;
  } else if (n_ours == 0 || n_ref == 0) {
    c.cosine = 0.0;
  } else {
    c.cosine = dot / (std::sqrt(n_ours) * std::sqrt(n_ref));
  }
  const double rel = c.max_abs_reference > 0 ? c.max_abs_error / c.max_abs_reference
                                             : (c.max_abs_error > 0 ? INFINITY : 0.0);
  c.passed = c.cosine >= report.min_cosine && rel <= report.max_relative_error &&
             std::isfinite(c.max_abs_error);
  return c;
}

}  // namespace

ParityReport check_t5_fixture(const std::filesystem::path& dir) {
  ParityReport report;
  report.fixture = dir.string();
  report.kind = "t5";

  auto encoder = T5Encoder::load(dir);
  const auto cases_path = dir / "cases.safetensors";
  std::error_code ec;
  if (!std::filesystem::exists(cases_path, ec)) {
    throw EngineError("T5 fixture " + dir.string() + " lacks cases.safetensors");
  }
  auto cases = io::SafetensorsFile::open(cases_path);
  for (const char* needed : {"input_ids", "attention_mask"}) {
    if (!cases->contains(needed)) {
      throw EngineError("T5 fixture " + cases_path.string() + " lacks " + needed);
    }
  }
  const Tensor ids_f = cases->load_f32("input_ids");
  if (ids_f.ndim() != 2 || ids_f.dim(0) < 1 || ids_f.dim(1) < 1) {
    throw EngineError("T5 fixture: input_ids must be [batch, seq], got " +
                      shape_string(ids_f.shape()));
  }
  const Tensor mask_f = cases->load_f32("attention_mask", ids_f.shape());
  const int64_t batch = ids_f.dim(0), seq = ids_f.dim(1);
  const int64_t d = encoder->config().d_model;
  const int layers = encoder->config().num_layers;

  // Reference names and their computed counterparts, all [batch, seq, d_model].
  std::vector<std::string> names = {"last_hidden_state", "masked_last_hidden_state"};
  for (int i = 0; i <= layers; ++i) names.push_back("hidden_states." + std::to_string(i));
  std::vector<Tensor> computed(names.size(), Tensor({batch, seq, d}));

  T5Outputs out;
  std::vector<int32_t> ids(static_cast<std::size_t>(seq));
  std::vector<uint8_t> mask(static_cast<std::size_t>(seq));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t s = 0; s < seq; ++s) {
      ids[static_cast<std::size_t>(s)] = static_cast<int32_t>(ids_f[b * seq + s]);
      mask[static_cast<std::size_t>(s)] = mask_f[b * seq + s] != 0.0f ? 1 : 0;
    }
    encoder->forward(ids, mask, out, true);
    const int64_t item = seq * d;
    auto put = [&](std::size_t which, const Tensor& t) {
      std::copy(t.data(), t.data() + item, computed[which].data() + b * item);
    };
    put(0, out.last_hidden_state);
    put(1, out.last_hidden_state);
    for (int64_t s = 0; s < seq; ++s) {
      if (!mask[static_cast<std::size_t>(s)]) {
        float* row = computed[1].data() + b * item + s * d;
        std::fill(row, row + d, 0.0f);
      }
    }
    for (std::size_t h = 0; h < out.hidden_states.size(); ++h) put(2 + h, out.hidden_states[h]);
  }

  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!cases->contains(names[i])) continue;
    report.cases.push_back(compare(names[i], computed[i], cases->load_f32(names[i]), report));
  }
  if (cases->contains("position_bias_block0")) {
    Tensor bias = encoder->position_bias(static_cast<int>(seq), static_cast<int>(seq));
    bias.reshape({1, encoder->config().num_heads, seq, seq});
    report.cases.push_back(
        compare("position_bias_block0", bias, cases->load_f32("position_bias_block0"), report));
  }
  if (report.cases.empty()) {
    throw EngineError("T5 fixture " + cases_path.string() + " has no reference outputs");
  }
  return report;
}

}  // namespace foley::text
