// Fuzzes the safetensors reader: any byte string must either parse (and then every tensor
// must convert to float32 without reading out of bounds) or throw EngineError.
#include <cstddef>
#include <cstdint>

#include "foley/engine.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto file = foley::io::SafetensorsFile::from_bytes(data, size, "fuzz.safetensors");
    for (const auto& name : file->names()) {
      // Keep memory bounded: a valid header may describe large (but in-bounds) tensors.
      if (file->info(name).nbytes <= (1u << 20)) file->load_f32(name);
    }
    (void)file->metadata();
  } catch (const foley::EngineError&) {
  }
  return 0;
}
