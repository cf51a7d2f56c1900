// Fuzzes model_config.json parsing: any text must either parse into a config or throw
// EngineError (never crash, hang or trip a sanitizer).
#include <cstddef>
#include <cstdint>
#include <string>

#include "foley/engine.h"
#include "model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const std::string text(reinterpret_cast<const char*>(data), size);
    foley::ModelConfig c = foley::parse_model_config(text, "fuzz.json");
    (void)c.latent_frames();
  } catch (const foley::EngineError&) {
  }
  return 0;
}
