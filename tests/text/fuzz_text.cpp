// libFuzzer target for the text path's untrusted inputs: arbitrary prompt bytes through the
// tokenizer and the T5 encoder (tiny-pipeline model), and arbitrary config.json text.
// Build: -DFOLEY_FUZZ=ON with clang; run: fuzz_text -max_total_time=60.
#include <cstddef>
#include <cstdint>
#include <string>

#include "foley/engine.h"
#include "text/t5_config.h"
#include "text/text_encoder.h"

namespace {

foley::text::TextEncoder& encoder(int max_length) {
  static auto short_enc = foley::text::TextEncoder::load(
      std::string(FOLEY_TEST_DATA_DIR) + "/tiny-pipeline/t5", 8);
  static auto long_enc = foley::text::TextEncoder::load(
      std::string(FOLEY_TEST_DATA_DIR) + "/tiny-pipeline/t5", 64);
  return max_length == 8 ? *short_enc : *long_enc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 3) {
      case 0: foley::text::T5Config::parse(text, "fuzz"); break;
      case 1: encoder(8).encode(text); break;
      default: encoder(64).encode(text); break;
    }
  } catch (const foley::EngineError&) {
    // Expected for bad input: a clear error, never a crash.
  }
  return 0;
}
