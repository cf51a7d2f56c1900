// `foley generate`: one clip from a prompt, written as a 16-bit PCM WAV, with a progress line
// per sampler step and per-stage timings.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "command.h"
#include "foley/engine.h"
#include "foley/server/config.h"
#include "foley/wav.h"

namespace {

void print_usage() {
  std::printf(
      "usage: foley generate [--model DIR] [--t5 DIR] \"PROMPT\" [options] -o OUT.wav\n\n"
      "options:\n"
      "  --model DIR         model folder (default: $FOLEY_MODEL, else models/foley-mini)\n"
      "  --seed N            noise seed (default 0)\n"
      "  --duration S        seconds of audio (default 5)\n"
      "  --steps N           sampler steps (default: the model's, 8 for SAOS)\n"
      "  --cfg X             classifier-free guidance scale (default 4.5; 1 disables)\n"
      "  --negative TEXT     negative prompt (used when cfg != 1)\n"
      "  --sampler NAME      pingpong | euler | dpmpp (default: the model's)\n"
      "  --threads N         CPU threads (default: all)\n"
      "  --precision P       f32 | bf16 (default f32)\n");
}

template <typename T>
T parse_number(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    T value;
    if constexpr (std::is_floating_point_v<T>) {
      value = static_cast<T>(std::stod(text, &used));
    } else {
      value = static_cast<T>(std::stol(text, &used));
    }
    if (used != text.size()) throw std::invalid_argument(text);
    return value;
  } catch (const std::exception&) {
    throw foley::EngineError(flag + ": not a number: '" + text + "'");
  }
}

int run_generate(const std::vector<std::string>& args) {
  foley::ModelFiles files;
  foley::EngineOptions options;
  foley::ClipRequest request;
  std::string output;
  std::string sampler;
  bool have_prompt = false, have_steps = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw foley::EngineError(a + " needs a value");
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      print_usage();
      return 0;
    } else if (a == "--model") {
      files.model_dir = value();
    } else if (a == "--t5") {
      files.t5_dir = value();
    } else if (a == "--seed") {
      request.seed = parse_number<int32_t>(a, value());
    } else if (a == "--duration") {
      request.duration_s = parse_number<double>(a, value());
    } else if (a == "--steps") {
      request.steps = parse_number<int>(a, value());
      have_steps = true;
    } else if (a == "--cfg") {
      request.cfg = parse_number<float>(a, value());
    } else if (a == "--negative") {
      request.negative_prompt = value();
    } else if (a == "--sampler") {
      sampler = value();
    } else if (a == "--threads") {
      options.threads = parse_number<int>(a, value());
    } else if (a == "--precision") {
      const std::string p = value();
      if (p == "f32") {
        options.precision = foley::Precision::kF32;
      } else if (p == "bf16") {
        options.precision = foley::Precision::kBF16;
      } else {
        throw foley::EngineError("--precision must be f32 or bf16");
      }
    } else if (a == "-o" || a == "--output") {
      output = value();
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "foley generate: unknown option %s\n", a.c_str());
      print_usage();
      return 2;
    } else if (!have_prompt) {
      request.prompt = a;
      have_prompt = true;
    } else {
      std::fprintf(stderr, "foley generate: more than one prompt given\n");
      return 2;
    }
  }
  if (!have_prompt || output.empty()) {
    print_usage();
    return 2;
  }
  if (files.model_dir.empty()) {
    // Same default as `foley serve`, so both run the shipped model with no flags.
    const char* env = std::getenv("FOLEY_MODEL");
    files.model_dir = env && *env ? env : foley::server::resolve_default_model_dir(std::getenv);
  }

  auto t0 = std::chrono::steady_clock::now();
  auto engine = foley::Engine::load(files, options);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto& info = engine->info();
  if (sampler.empty()) {
    request.sampler = info.default_sampler;
  } else if (sampler == "pingpong") {
    request.sampler = foley::Sampler::kPingPong;
  } else if (sampler == "euler") {
    request.sampler = foley::Sampler::kEuler;
  } else if (sampler == "dpmpp") {
    request.sampler = foley::Sampler::kDpmPlusPlus;
  } else {
    throw foley::EngineError("--sampler must be pingpong, euler or dpmpp");
  }
  if (!have_steps) request.steps = 0;
  std::fprintf(stderr, "model %s loaded in %.2f s (%d Hz, max %.2f s)\n", info.id.c_str(), load_s,
               info.model_sample_rate, info.max_duration_s);

  foley::GenerateCallbacks callbacks;
  auto step_start = std::chrono::steady_clock::now();
  callbacks.on_step = [&](int step, int total) {
    const auto now = std::chrono::steady_clock::now();
    std::fprintf(stderr, "step %d/%d  %.2f s\n", step + 1, total,
                 std::chrono::duration<double>(now - step_start).count());
    step_start = now;
  };
  const std::vector<foley::ClipRequest> requests = {request};
  step_start = std::chrono::steady_clock::now();
  const auto clips = engine->generate(requests, callbacks);
  const auto t = engine->last_timings();
  std::fprintf(stderr, "timings: text %.2f s, sampler %.2f s, decoder %.2f s, postprocess %.2f s, total %.2f s\n",
               t.text_encoder, t.sampler, t.decoder, t.postprocess,
               t.text_encoder + t.sampler + t.decoder + t.postprocess);
  const foley::Clip& clip = clips.front();
  foley::write_wav(output, clip.pcm, clip.sample_rate, clip.channels);
  std::printf("%s: %zu frames, %d Hz, %d channels, seed %d\n", output.c_str(), clip.frames(), clip.sample_rate,
              clip.channels, clip.seed);
  return 0;
}

}  // namespace

FOLEY_REGISTER_COMMAND("generate", "generate a sound effect from a text prompt into a WAV file", run_generate);
