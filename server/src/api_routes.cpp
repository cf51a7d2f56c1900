// The core API of api.md: generate, health, readiness, metrics, models, and the two
// embedded documents. Registered on the App's router like any other module.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "embedded_docs.h"
#include "foley/server/app.h"
#include "foley/server/audio_codec.h"
#include "generate_request.h"

namespace foley::server {
namespace {

using nlohmann::json;

bool is_json_media_type(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json" ||
         (type.rfind("application/", 0) == 0 && type.size() > 5 &&
          type.compare(type.size() - 5, 5, "+json") == 0);
}

int32_t random_seed() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<int32_t>(rng());
}

int32_t wrapping_add(int32_t seed, int i) {
  return static_cast<int32_t>(static_cast<uint32_t>(seed) + static_cast<uint32_t>(i));
}

std::string model_list_json(const std::vector<ModelInfo>& models) {
  json list = json::array();
  for (const auto& m : models) {
    list.push_back({{"id", m.id},
                    {"sample_rate", m.output_sample_rate},
                    {"channels", m.channels},
                    {"max_duration", m.max_duration_s},
                    {"default_steps", m.default_steps}});
  }
  return json{{"models", list}}.dump();
}

void handle_generate(App& app, const httplib::Request& req, httplib::Response& res,
                     RequestContext& ctx) {
  auto started = std::chrono::steady_clock::now();
  if (!is_json_media_type(req.get_header_value("Content-Type"))) {
    std::string message = "Content-Type must be application/json (got ";
    if (req.has_header("Content-Type")) {
      message.append("'").append(req.get_header_value("Content-Type")).append("')");
    } else {
      message.append("none)");
    }
    throw ApiError::unsupported_media_type(message);
  }
  GenerateArgs args = parse_generate_request(ctx.body);
  // The seed is fixed as soon as the request parses, so every later answer (422, 503, 200)
  // carries the X-Seed it would use.
  const int32_t seed = args.seed.value_or(random_seed());
  res.set_header("X-Seed", std::to_string(seed));

  if (!app.generation().ready()) {
    throw ApiError(503, "NOT_READY", "no model is loaded yet; retry shortly (GET /readyz turns 200)")
        .with_header("Retry-After", "5");
  }
  // An explicit model id must name a loaded model ("" included); omitted means the default.
  Scheduler* model = args.model && args.model->empty() ? nullptr
                                                       : app.generation().find(args.model.value_or(""));
  if (!model) {
    std::string ids;
    for (const auto& m : app.generation().models()) ids += (ids.empty() ? "" : ", ") + m.id;
    throw ApiError::not_found("unknown model '" + args.model.value_or("") + "'; loaded models: " + ids +
                              " (GET /v1/models)");
  }
  const ModelInfo& info = model->model_info();
  double duration = args.duration.value_or(5.0);
  if (duration > info.max_duration_s) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "field 'args.duration' must be between 0.5 and %.2f seconds for model '%s', got %g",
                  info.max_duration_s, info.id.c_str(), duration);
    throw ApiError::validation(text);
  }
  std::vector<ClipRequest> clips;
  for (int i = 0; i < args.n; ++i) {
    ClipRequest clip;
    clip.prompt = args.prompt;
    clip.negative_prompt = args.negative_prompt;
    clip.cfg = static_cast<float>(args.cfg);
    clip.seed = wrapping_add(seed, i);
    clip.duration_s = duration;
    clip.steps = args.steps;
    clip.sampler = info.default_sampler;
    clips.push_back(std::move(clip));
  }
  try {
    model->validate(clips.front());
  } catch (const EngineError& e) {
    throw ApiError::validation(e.what());
  }
  AudioFormat format = args.format.value_or(negotiate_format(req.get_header_value("Accept")));

  std::shared_ptr<GenerationJob> job;
  try {
    job = model->submit(std::move(clips));
  } catch (const QueueFullError& e) {
    throw ApiError(503, "QUEUE_FULL", e.what()).with_header("Retry-After", std::to_string(e.retry_after_s()));
  }
  ctx.clips = args.n;
  while (!job->wait_for(std::chrono::milliseconds(25))) {
    if (ctx.client_disconnected()) {
      job->cancel();
    }
  }
  switch (job->state()) {
    case GenerationJob::State::kDone:
      break;
    case GenerationJob::State::kCancelled:
      // Nobody is listening; 499 (nginx's "client closed request") marks it in the log.
      res.status = 499;
      res.set_header("Connection", "close");
      return;
    case GenerationJob::State::kRejected:
      throw ApiError(503, "QUEUE_FULL", job->error()).with_header("Retry-After", "5");
    default:
      throw ApiError::internal("generation failed (" + job->error() + "); logged as " + ctx.request_id);
  }

  std::vector<std::string> files;
  for (const Clip& clip : job->clips()) {
    files.push_back(encode_audio(format, clip.pcm, clip.sample_rate, clip.channels));
  }
  if (args.n == 1) {
    res.status = 200;
    res.set_header("Content-Disposition", std::string("inline; filename=\"foley-") +
                                              std::to_string(seed) + "." + format_name(format) + "\"");
    res.set_content(std::move(files.front()), format_media_type(format));
  } else {
    nlohmann::ordered_json body = {{"count", args.n},
                 {"sample_rate", job->clips().front().sample_rate},
                 {"format", format_name(format)}};
    nlohmann::ordered_json audios = nlohmann::ordered_json::array(), seeds = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < files.size(); ++i) {
      audios.push_back(base64_encode(files[i]));
      seeds.push_back(job->clips()[i].seed);
    }
    body["audios"] = std::move(audios);
    body["seeds"] = std::move(seeds);
    send_json(res, 200, body.dump());
  }
  app.metrics().record_generation_latency(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

}  // namespace

void install_api_routes(App& app) {
  Router& router = app.router();
  router.add("POST", "/v1/audio/sound_effect_generate",
             [&app](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               handle_generate(app, req, res, ctx);
             },
             {.require_api_key = true, .read_body = true, .max_body_bytes = 0});
  router.add("GET", "/healthz", [](const httplib::Request&, httplib::Response& res, RequestContext&) {
    send_json(res, 200, R"({"status":"ok"})");
  });
  router.add("GET", "/readyz", [&app](const httplib::Request&, httplib::Response& res, RequestContext&) {
    if (app.shutting_down()) {
      throw ApiError(503, "NOT_READY", "the server is shutting down").with_header("Retry-After", "5");
    }
    if (!app.generation().ready()) {
      throw ApiError(503, "NOT_READY", "no model is loaded yet; retry shortly")
          .with_header("Retry-After", "5");
    }
    send_json(res, 200, R"({"status":"ready"})");
  });
  router.add("GET", "/metrics", [&app](const httplib::Request&, httplib::Response& res, RequestContext&) {
    res.status = 200;
    res.set_content(app.metrics().render(app.generation().stats(), app.generation().ready()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  router.add("GET", "/v1/models", [&app](const httplib::Request&, httplib::Response& res, RequestContext&) {
    send_json(res, 200, model_list_json(app.generation().models()));
  });
  router.add("GET", "/openapi.json", [](const httplib::Request&, httplib::Response& res, RequestContext&) {
    res.status = 200;
    res.set_content(std::string(embedded::openapi_json()), "application/json");
  });
  router.add("GET", "/v1/integration-prompt",
             [](const httplib::Request&, httplib::Response& res, RequestContext&) {
               res.status = 200;
               res.set_content(std::string(embedded::integration_prompt()),
                               "text/markdown; charset=utf-8");
             });
}

}  // namespace foley::server
