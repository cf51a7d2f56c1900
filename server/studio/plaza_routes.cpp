// Sound Effects Plaza: browse (public), play (public, counted), share (signed in), delete
// (owner or administrator).
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "foley/server/api_error.h"
#include "foley/server/audio_codec.h"
#include "foley/studio/json_body.h"
#include "foley/studio/studio.h"

namespace foley::studio {

namespace {
using server::ApiError;
using server::RequestContext;
using json = nlohmann::json;

constexpr int64_t kDefaultPageSize = 12;
constexpr int64_t kMaxPageSize = 48;

json clip_json(const PlazaClip& c, const std::optional<Session>& viewer) {
  json out{{"id", c.id},
           {"owner", c.owner},
           {"prompt", c.prompt},
           {"negative_prompt", c.negative_prompt},
           {"cfg", c.cfg},
           {"seed", c.seed},
           {"duration", c.duration},
           {"steps", c.steps},
           {"model", c.model},
           {"created_at", c.created_at},
           {"plays", c.plays},
           {"mine", viewer && viewer->user.id == c.user_id},
           {"audio_url", "/studio/api/plaza/" + c.id + "/audio"}};
  return out;
}

int64_t positive_query(const httplib::Request& req, const char* name, int64_t fallback, int64_t max) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
    throw ApiError::bad_request(std::string("query parameter '") + name + "' must be a positive integer");
  }
  const int64_t value = std::stoll(text);
  if (value < 1 || value > max) {
    throw ApiError::validation(std::string("query parameter '") + name + "' must be between 1 and " + std::to_string(max));
  }
  return value;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}
}  // namespace

void install_plaza_routes(const std::shared_ptr<Studio>& studio) {
  auto& router = studio->app.router();
  const server::RouteOptions small_body{.require_api_key = false, .read_body = true, .max_body_bytes = 4096};

  router.add("GET", "/studio/api/plaza", [studio](const httplib::Request& req, httplib::Response& res, RequestContext&) {
    const std::string sort_name = req.has_param("sort") ? req.get_param_value("sort") : "newest";
    PlazaSort sort;
    if (sort_name == "newest") sort = PlazaSort::kNewest;
    else if (sort_name == "popular") sort = PlazaSort::kMostPlayed;
    else throw ApiError::bad_request("query parameter 'sort' must be \"newest\" or \"popular\"");
    const int64_t page = positive_query(req, "page", 1, 1000000);
    const int64_t page_size = positive_query(req, "page_size", kDefaultPageSize, kMaxPageSize);
    const PlazaPage result = studio->plaza.list(sort, page, page_size);
    const auto viewer = studio->session(req);
    json items = json::array();
    for (const auto& clip : result.items) items.push_back(clip_json(clip, viewer));
    const int64_t pages = std::max<int64_t>(1, (result.total + page_size - 1) / page_size);
    res.set_header("Cache-Control", "no-store");
    server::send_json(res, 200, json{{"items", items}, {"page", page}, {"page_size", page_size},
                                     {"pages", pages}, {"total", result.total}, {"sort", sort_name}}.dump());
  });

  router.add("POST", "/studio/api/plaza", [studio](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
    const Session session = studio->require_session(req);
    studio->require_csrf(req, session);
    const json body = parse_json_object(ctx.body, req.get_header_value("Content-Type"));
    const std::string clip_id = required_string(body, "clip_id");
    auto cached = studio->clips.get(clip_id, session.user.id);
    if (!cached) throw ApiError::not_found("clip_id is not one of your recent clips (they are kept for an hour); generate it again");
    PlazaClip clip;
    clip.user_id = session.user.id;
    clip.owner = session.user.name;
    clip.prompt = cached->request.prompt;
    clip.negative_prompt = cached->request.negative_prompt;
    clip.cfg = cached->request.cfg;
    clip.seed = cached->request.seed;
    clip.duration = static_cast<double>(cached->clip.frames()) / cached->clip.sample_rate;
    clip.steps = cached->request.steps;
    clip.model = cached->model;
    const std::string flac = server::encode_flac(cached->clip.pcm, cached->clip.sample_rate, cached->clip.channels);
    const PlazaClip stored = studio->plaza.share(std::move(clip), flac);
    server::send_json(res, 201, clip_json(stored, session).dump());
  }, small_body);

  router.add("GET", "/studio/api/plaza/:id/audio", [studio](const httplib::Request&, httplib::Response& res, RequestContext& ctx) {
    const std::string id = ctx.path_params["id"];
    if (!studio->plaza.find(id)) throw ApiError::not_found("no shared clip with id '" + id + "'");
    std::string bytes = read_file(studio->plaza.audio_path(id));
    if (bytes.empty()) throw ApiError::not_found("the audio of clip '" + id + "' is missing");
    // Ids are never reused, so the bytes behind this URL never change.
    res.set_header("Cache-Control", "public, max-age=31536000, immutable");
    res.set_header("Content-Disposition", "inline; filename=\"foley-plaza-" + id + ".flac\"");
    res.set_content(std::move(bytes), "audio/flac");
  });

  router.add("POST", "/studio/api/plaza/:id/play", [studio](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
    studio->require_csrf(req, studio->session(req));
    const std::string id = ctx.path_params["id"];
    // One counted play per address and clip an hour: replaying, or a script, cannot push
    // a clip up "most played".
    std::optional<int64_t> plays;
    if (studio->play_limiter.check(req.remote_addr + " " + id).allowed) {
      plays = studio->plaza.count_play(id);
    } else if (auto clip = studio->plaza.find(id)) {
      plays = clip->plays;
    }
    if (!plays) throw ApiError::not_found("no shared clip with id '" + id + "'");
    server::send_json(res, 200, json{{"id", id}, {"plays", *plays}}.dump());
  }, small_body);

  router.add("DELETE", "/studio/api/plaza/:id", [studio](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
    const Session session = studio->require_session(req);
    studio->require_csrf(req, session);
    const std::string id = ctx.path_params["id"];
    switch (studio->plaza.remove(id, session.user)) {
      case PlazaStore::RemoveResult::kNotFound:
        throw ApiError::not_found("no shared clip with id '" + id + "'");
      case PlazaStore::RemoveResult::kForbidden:
        throw ApiError(403, "FORBIDDEN", "only the person who shared this clip (or an administrator) can delete it");
      case PlazaStore::RemoveResult::kRemoved:
        break;
    }
    server::send_json(res, 200, json{{"id", id}, {"deleted", true}}.dump());
  }, small_body);
}

}  // namespace foley::studio
