// Studio generation: the signed-in user's request goes through the same scheduler (queue,
// batching, capacity, cancellation) as POST /v1/audio/sound_effect_generate, with the same
// argument rules and the same per-identity rate limit; the clips stay in the ClipCache so
// the page can play, download (WAV/FLAC) and share them.
#include <openssl/rand.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <limits>
#include <nlohmann/json.hpp>

#include "foley/server/api_error.h"
#include "foley/server/audio_codec.h"
#include "foley/studio/json_body.h"
#include "foley/studio/studio.h"

namespace foley::studio {

namespace {
using server::ApiError;
using server::RequestContext;
using json = nlohmann::json;

struct StudioGeneration {
  ClipRequest base;
  int n = 1;
  std::string model;
  std::optional<double> duration;
};

// api.md: 0.5 <= duration <= the model's maximum, 5 s when omitted. A model shorter than
// 0.5 s (the tiny test model: 0.19 s) would make every request invalid, so for such a model
// any positive duration up to its maximum is accepted.
double checked_duration(const std::optional<double>& requested, const ModelInfo& info) {
  const double max = info.max_duration_s;
  const bool short_model = max < 0.5;  // then any positive duration up to the maximum
  const double min = short_model ? 0.0 : 0.5;
  if (!requested) return std::min(5.0, max);
  const double d = *requested;
  if (!((short_model ? d > 0 : d >= min) && d <= max)) {
    char message[200];
    std::snprintf(message, sizeof message,
                  "args.duration must be between %g and %g seconds for model '%s'", min, max,
                  info.id.c_str());
    throw ApiError::validation(message);
  }
  return d;
}

double number_field(const json& args, const char* field) {
  const json& value = args.at(field);
  if (!value.is_number()) throw ApiError::bad_request(std::string("args.") + field + " must be a number");
  return value.get<double>();
}

int64_t integer_field(const json& args, const char* field) {
  const json& value = args.at(field);
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::numeric_limits<int64_t>::max();
    }
    return value.get<int64_t>();
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && d == std::floor(d)) {
      if (std::fabs(d) > 9.0e18) return d > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
      return static_cast<int64_t>(d);
    }
  }
  throw ApiError::bad_request(std::string("args.") + field + " must be an integer");
}

int32_t random_seed() {
  uint32_t bits = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&bits), sizeof bits) != 1) bits = 0x5eed;
  return static_cast<int32_t>(bits & 0x7fffffffu);
}

bool blank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

// The same rules as the public API (api.md): 400 for shape and types, 422 for ranges.
StudioGeneration parse_request(const json& body) {
  StudioGeneration g;
  for (const auto& [key, value] : body.items()) {
    if (key != "args" && key != "model") throw ApiError::bad_request("unknown field '" + key + "' (expected args, model)");
  }
  if (body.contains("model")) {
    if (!body["model"].is_string()) throw ApiError::bad_request("model must be a string");
    g.model = body["model"].get<std::string>();
  }
  auto args_it = body.find("args");
  if (args_it == body.end() || !args_it->is_object()) throw ApiError::bad_request("args must be an object with at least args.prompt");
  const json& args = *args_it;
  static const char* known[] = {"prompt", "cfg", "seed", "n", "duration", "negative_prompt", "steps", "format"};
  for (const auto& [key, value] : args.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) throw ApiError::bad_request("unknown field args." + key);
  }
  if (!args.contains("prompt")) throw ApiError::bad_request("args.prompt is required");
  if (!args["prompt"].is_string()) throw ApiError::bad_request("args.prompt must be a string");
  g.base.prompt = args["prompt"].get<std::string>();
  if (blank(g.base.prompt)) throw ApiError::validation("args.prompt must not be empty: describe the sound");
  if (args.contains("negative_prompt")) {
    if (!args["negative_prompt"].is_string()) throw ApiError::bad_request("args.negative_prompt must be a string");
    g.base.negative_prompt = args["negative_prompt"].get<std::string>();
  }
  if (args.contains("format") && !(args["format"].is_string() &&
                                   (args["format"] == "wav" || args["format"] == "flac"))) {
    throw ApiError::bad_request("args.format must be \"wav\" or \"flac\"");
  }
  if (args.contains("cfg")) {
    const double cfg = number_field(args, "cfg");
    if (!(cfg >= 0 && cfg <= 10)) throw ApiError::validation("args.cfg must be between 0 and 10");
    g.base.cfg = static_cast<float>(cfg);
  }
  if (args.contains("seed")) {
    const int64_t seed = integer_field(args, "seed");
    if (seed < std::numeric_limits<int32_t>::min() || seed > std::numeric_limits<int32_t>::max()) {
      throw ApiError::validation("args.seed must be a 32-bit integer (-2147483648 to 2147483647)");
    }
    g.base.seed = static_cast<int32_t>(seed);
  } else {
    g.base.seed = random_seed();
  }
  if (args.contains("n")) {
    const int64_t n = integer_field(args, "n");
    if (n < 1 || n > 4) throw ApiError::validation("args.n must be between 1 and 4");
    g.n = static_cast<int>(n);
  }
  if (args.contains("duration")) {
    g.duration = number_field(args, "duration");  // range checked against the model below
  }
  if (args.contains("steps")) {
    const int64_t steps = integer_field(args, "steps");
    if (steps < 1 || steps > 200) throw ApiError::validation("args.steps must be between 1 and 200");
    g.base.steps = static_cast<int>(steps);
  }
  return g;
}

int32_t wrapping_add(int32_t seed, int i) {
  return static_cast<int32_t>(static_cast<uint32_t>(seed) + static_cast<uint32_t>(i));
}

std::string clip_filename(const CachedClip& clip, const char* extension) {
  return "foley-" + std::to_string(clip.clip.seed) + "." + extension;
}
}  // namespace

void install_generate_routes(const std::shared_ptr<Studio>& studio) {
  auto& router = studio->app.router();

  router.add("POST", "/studio/api/generate", [studio](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
    const Session session = studio->require_session(req);
    studio->require_csrf(req, session);
    // Every studio request counts against the same limit an API key has (10 a minute).
    const auto limit = studio->app.rate_limiter().check("user:" + std::to_string(session.user.id));
    res.set_header("RateLimit-Policy", "\"default\";q=" + std::to_string(studio->app.rate_limiter().limit()) +
                                           ";w=" + std::to_string(studio->app.rate_limiter().window_seconds()));
    res.set_header("RateLimit", "\"default\";r=" + std::to_string(limit.remaining) + ";t=" + std::to_string(limit.reset_seconds));
    if (!limit.allowed) {
      throw ApiError(429, "RATE_LIMITED", "more than " + std::to_string(studio->app.rate_limiter().limit()) +
                                              " generations in " + std::to_string(studio->app.rate_limiter().window_seconds()) +
                                              " seconds; wait " + std::to_string(limit.retry_after) + " seconds")
          .with_header("Retry-After", std::to_string(limit.retry_after));
    }
    const StudioGeneration g = parse_request(parse_json_object(ctx.body, req.get_header_value("Content-Type")));
    server::Scheduler* scheduler = studio->app.generation().find(g.model);
    if (!scheduler) {
      if (!g.model.empty() && studio->app.generation().ready()) throw ApiError::not_found("unknown model '" + g.model + "': see GET /v1/models");
      throw ApiError(503, "QUEUE_FULL", "the model is still loading; try again in a few seconds").with_header("Retry-After", "5");
    }
    const ModelInfo& info = scheduler->model_info();
    const double duration = checked_duration(g.duration, info);
    std::vector<ClipRequest> requests;
    for (int i = 0; i < g.n; ++i) {
      ClipRequest r = g.base;
      r.seed = wrapping_add(g.base.seed, i);
      r.duration_s = duration;
      r.sampler = info.default_sampler;
      requests.push_back(r);
    }
    try {
      scheduler->validate(requests.front());
    } catch (const EngineError& e) {
      throw ApiError::validation(std::string("args: ") + e.what());
    }
    ctx.clips = g.n;
    std::vector<Clip> clips;
    try {
      clips = scheduler->generate(requests, [&ctx] { return ctx.client_disconnected(); });
    } catch (const server::QueueFullError& e) {
      throw ApiError(503, "QUEUE_FULL", std::string(e.what()) + "; retry with backoff")
          .with_header("Retry-After", std::to_string(std::max(1, e.retry_after_s())));
    } catch (const CancelledError&) {
      throw ApiError(503, "QUEUE_FULL", "generation cancelled (the client went away or the server is stopping)");
    }
    json out_clips = json::array();
    for (std::size_t i = 0; i < clips.size(); ++i) {
      CachedClip cached{"", session.user.id, std::move(clips[i]), requests[i], info.id};
      const double seconds = static_cast<double>(cached.clip.frames()) / cached.clip.sample_rate;
      const int32_t seed = cached.request.seed;
      const std::string id = studio->clips.put(std::move(cached));
      out_clips.push_back({{"id", id}, {"seed", seed}, {"duration", seconds},
                           {"wav_url", "/studio/api/clips/" + id + ".wav"},
                           {"flac_url", "/studio/api/clips/" + id + ".flac"}});
    }
    json effective{{"prompt", g.base.prompt}, {"cfg", g.base.cfg}, {"seed", g.base.seed}, {"n", g.n},
                   {"duration", duration}};
    if (!g.base.negative_prompt.empty()) effective["negative_prompt"] = g.base.negative_prompt;
    if (g.base.steps > 0) effective["steps"] = g.base.steps;
    res.set_header("X-Seed", std::to_string(g.base.seed));
    server::send_json(res, 200, json{{"request_id", ctx.request_id}, {"model", info.id},
                                     {"sample_rate", info.output_sample_rate}, {"args", effective},
                                     {"clips", out_clips}}.dump());
  });

  router.add("GET", "/studio/api/clips/:file", [studio](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
    const Session session = studio->require_session(req);
    const std::string file = ctx.path_params["file"];
    const auto dot = file.rfind('.');
    const std::string id = dot == std::string::npos ? file : file.substr(0, dot);
    const std::string extension = dot == std::string::npos ? "" : file.substr(dot + 1);
    if (extension != "wav" && extension != "flac") throw ApiError::not_found("clips are available as .wav or .flac");
    auto cached = studio->clips.get(id, session.user.id);
    if (!cached) throw ApiError::not_found("this clip is no longer kept (generated clips are kept for an hour); generate it again with its seed");
    const auto format = extension == "wav" ? server::AudioFormat::kWav : server::AudioFormat::kFlac;
    std::string bytes = server::encode_audio(format, cached->clip.pcm, cached->clip.sample_rate, cached->clip.channels);
    res.set_header("Cache-Control", "private, max-age=3600");
    res.set_header("Content-Disposition", "inline; filename=\"" + clip_filename(*cached, extension.c_str()) + "\"");
    res.set_content(std::move(bytes), server::format_media_type(format));
  });
}

}  // namespace foley::studio
