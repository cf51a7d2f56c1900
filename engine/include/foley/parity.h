// Numerical parity checks against reference fixtures (the format of
// /work/shared/fixtures/*/: a model, its config and cases.safetensors of reference tensors
// produced by the official PyTorch code). Used by `foley check` and by the test suite.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace foley {

struct ParityCase {
  std::string name;          // the reference tensor compared, e.g. "dit.cfg1.v"
  double max_abs_error = 0;  // max |ours - reference|
  double max_abs_reference = 0;
  double cosine = 0;         // cosine similarity of the flattened tensors
  bool passed = false;
};

struct ParityReport {
  std::string fixture;       // directory checked
  std::string kind;          // "saos" or "t5"
  double min_cosine = 0.9999;       // tolerance applied
  double max_relative_error = 1e-4; // max_abs_error / max_abs_reference
  std::vector<ParityCase> cases;
  bool passed() const {
    if (cases.empty()) return false;
    for (const auto& c : cases) if (!c.passed) return false;
    return true;
  }
};

// Detects the fixture kind from the files present (model_config.json: SAOS-family model;
// config.json: T5 encoder), runs every case and compares. Throws EngineError on unreadable
// fixtures.
ParityReport check_fixture(const std::filesystem::path& dir);

}  // namespace foley
