// Foley engine: the public API. Everything outside engine/ (CLI, server, benchmarks) uses
// only this header.
//
// Pipeline: prompt -> SentencePiece tokens -> T5 encoder -> conditioning (prompt tokens +
// seconds_total) -> diffusion transformer driven by a sampler -> latents -> Oobleck
// decoder -> model-rate stereo audio -> resample to 48 kHz, trim, peak-safe normalise ->
// 16-bit PCM.
//
// Determinism: a clip's samples depend only on (model, request fields, seed), never on
// which other clips share a generate() call: each clip is computed by the same sequence of
// operations whatever the batch holds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace foley {

// Every failure the engine reports (bad model files, bad parameters) is an EngineError with
// a message a user can act on; the engine never aborts the process on bad input.
class EngineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Sampler { kPingPong, kEuler, kDpmPlusPlus };

// Numeric precision of the heavy operations. kF32 matches the PyTorch reference to ~1e-6;
// kBF16 uses AVX-512 BF16 GEMMs/convolutions where the CPU has them (falls back to F32).
enum class Precision { kF32, kBF16 };

struct EngineOptions {
  int threads = 0;                   // 0: all hardware threads
  Precision precision = Precision::kF32;
  int output_sample_rate = 48000;    // product format
  // Oobleck decode in chunks of this many latent frames (0: whole clip at once).
  int decode_chunk_frames = 128;
  int decode_overlap_frames = 32;
};

struct ModelFiles {
  std::filesystem::path model_dir;  // model_config.json + model.safetensors
  std::filesystem::path t5_dir;     // config.json + model.safetensors + spiece.model
};

struct ModelInfo {
  std::string id;                   // directory name unless the config names it
  int model_sample_rate = 0;        // native rate of the autoencoder (44100 for SAOS)
  int output_sample_rate = 48000;
  int channels = 2;
  double max_duration_s = 0;        // sample_size / model_sample_rate
  int default_steps = 8;
  double default_cfg = 4.5;
  Sampler default_sampler = Sampler::kPingPong;
  int max_prompt_tokens = 64;
};

struct ClipRequest {
  std::string prompt;
  std::string negative_prompt;      // empty: unconditional branch uses zero context
  float cfg = 4.5f;                 // cfg == 1 runs one branch only
  int32_t seed = 0;
  double duration_s = 5.0;
  int steps = 0;                    // 0: model default
  Sampler sampler = Sampler::kPingPong;
};

struct Clip {
  std::vector<int16_t> pcm;         // interleaved, channels x frames
  int sample_rate = 48000;
  int channels = 2;
  int32_t seed = 0;
  std::size_t frames() const { return channels ? pcm.size() / channels : 0; }
};

// Per-stage wall times of the last generate() call, in seconds.
struct StageTimings {
  double text_encoder = 0, sampler = 0, decoder = 0, postprocess = 0;
};

struct GenerateCallbacks {
  // Called after each sampler step: (step index from 0, total steps).
  std::function<void(int, int)> on_step;
  // Polled between steps and stages; returning true abandons the call with CancelledError.
  std::function<bool()> should_cancel;
};

class CancelledError : public EngineError {
 public:
  CancelledError() : EngineError("generation cancelled") {}
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Loads a model directory in the publisher's layout. Throws EngineError naming the file
  // (and tensor) on any malformed input.
  static std::unique_ptr<Engine> load(const ModelFiles& files, const EngineOptions& options = {});

  virtual const ModelInfo& info() const = 0;

  // Validates a request against this model (duration, steps, cfg); throws EngineError with
  // the field name and allowed range.
  virtual void validate(const ClipRequest& request) const = 0;

  // Generates one clip per request. Thread-compatible: one caller at a time.
  virtual std::vector<Clip> generate(std::span<const ClipRequest> requests,
                                     const GenerateCallbacks& callbacks = {}) = 0;

  virtual StageTimings last_timings() const = 0;
};

}  // namespace foley
