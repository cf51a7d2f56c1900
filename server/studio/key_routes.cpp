// Per-user API keys: the same keys `foley keys` manages (ApiKeyStore), owned by the user.
#include <nlohmann/json.hpp>

#include "foley/server/api_error.h"
#include "foley/studio/json_body.h"
#include "foley/studio/studio.h"

namespace foley::studio {

namespace {
using server::ApiError;
using server::RequestContext;
using json = nlohmann::json;

std::string owner_of(const Session& session) { return "user:" + std::to_string(session.user.id); }

json key_json(const server::ApiKeyInfo& key) {
  return {{"id", key.id},
          {"name", key.name},
          {"prefix", "fk_" + key.id},
          {"created_at", key.created_at},
          {"expires_at", key.expires_at},
          {"revoked_at", key.revoked_at},
          {"last_used_at", key.last_used_at}};
}
}  // namespace

void install_key_routes(const std::shared_ptr<Studio>& studio) {
  auto& router = studio->app.router();
  const server::RouteOptions small_body{.require_api_key = false, .read_body = true, .max_body_bytes = 4096};

  router.add("GET", "/studio/api/keys", [studio](const httplib::Request& req, httplib::Response& res, RequestContext&) {
    const Session session = studio->require_session(req);
    json keys = json::array();
    for (const auto& key : studio->app.keys().list(owner_of(session))) keys.push_back(key_json(key));
    res.set_header("Cache-Control", "no-store");
    server::send_json(res, 200, json{{"keys", keys}}.dump());
  });

  router.add("POST", "/studio/api/keys", [studio](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
    const Session session = studio->require_session(req);
    studio->require_csrf(req, session);
    const json body = parse_json_object(ctx.body, req.get_header_value("Content-Type"));
    std::string name = required_string(body, "name");
    if (name.find_first_not_of(" \t") == std::string::npos || name.size() > 64) {
      throw ApiError::validation("name must be 1 to 64 characters");
    }
    auto days_it = body.find("expires_in_days");
    if (days_it == body.end() || !days_it->is_number_integer()) {
      throw ApiError::bad_request("field 'expires_in_days' is required and must be an integer");
    }
    const int64_t days = days_it->get<int64_t>();
    if (days < 1 || days > 365) throw ApiError::validation("expires_in_days must be between 1 and 365");
    const server::CreatedApiKey created = studio->app.keys().create(name, days * 24 * 3600, owner_of(session));
    json out = key_json(created.info);
    out["key"] = created.key;  // the only time the secret leaves the server
    res.set_header("Cache-Control", "no-store");
    server::send_json(res, 201, out.dump());
  }, small_body);

  router.add("DELETE", "/studio/api/keys/:id", [studio](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
    const Session session = studio->require_session(req);
    studio->require_csrf(req, session);
    const std::string id = ctx.path_params["id"];
    bool mine = false;
    for (const auto& key : studio->app.keys().list(owner_of(session))) mine = mine || key.id == id;
    if (!mine) throw ApiError::not_found("you have no API key with id '" + id + "'");
    studio->app.keys().revoke(id);
    server::send_json(res, 200, json{{"id", id}, {"revoked", true}}.dump());
  }, small_body);
}

}  // namespace foley::studio
