// Accounts: who am I, sign up, sign in (throttled), sign out.
#include <nlohmann/json.hpp>

#include "foley/server/api_error.h"
#include "foley/studio/json_body.h"
#include "foley/studio/passwords.h"
#include "foley/studio/secrets.h"
#include "foley/studio/studio.h"

namespace foley::studio {

namespace {
using server::ApiError;
using server::RequestContext;
using json = nlohmann::json;

json user_json(const User& user) {
  return {{"id", user.id}, {"name", user.name}, {"is_admin", user.is_admin}};
}

// Starts a session: a fresh token on every sign-in (no session fixation).
void start_session(Studio& studio, const httplib::Request& req, httplib::Response& res, const User& user) {
  NewSession created = studio.sessions.create(user);
  const bool secure = arrived_over_https(req);
  res.set_header("Set-Cookie", session_cookie(created.token, SessionStore::kLifetimeSeconds, secure));
  res.set_header("Set-Cookie", csrf_cookie(created.session.csrf_token, secure));
  res.set_header("Cache-Control", "no-store");
  server::send_json(res, 200,
                    json{{"user", user_json(user)}, {"csrf_token", created.session.csrf_token}}.dump());
}

ApiError too_many(int seconds, const std::string& what) {
  return ApiError(429, "RATE_LIMITED", what + "; wait " + std::to_string(seconds) + " seconds and try again")
      .with_header("Retry-After", std::to_string(seconds));
}
}  // namespace

void install_account_routes(const std::shared_ptr<Studio>& studio) {
  auto& router = studio->app.router();
  const server::RouteOptions small_body{.require_api_key = false, .read_body = true, .max_body_bytes = 8192};

  router.add("GET", "/studio/api/session", [studio](const httplib::Request& req, httplib::Response& res, RequestContext&) {
    auto current = studio->session(req);
    std::string csrf;
    if (current) {
      csrf = current->csrf_token;
    } else {
      // Anonymous visitors get a double-submit token so sign-in and sign-up are CSRF-safe too.
      csrf = cookie_value(req, kCsrfCookie);
      if (csrf.empty() || csrf.size() > 128) {
        csrf = random_token(32);
        res.set_header("Set-Cookie", csrf_cookie(csrf, arrived_over_https(req)));
      }
    }
    res.set_header("Cache-Control", "no-store");
    server::send_json(res, 200,
                      json{{"user", current ? user_json(current->user) : json(nullptr)}, {"csrf_token", csrf}}.dump());
  });

  router.add("POST", "/studio/api/signup", [studio](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
    studio->require_csrf(req, std::nullopt);
    const json body = parse_json_object(ctx.body, req.get_header_value("Content-Type"));
    const std::string name = required_string(body, "username");
    const std::string password = required_string(body, "password");
    if (auto problem = check_username(name); !problem.empty()) throw ApiError::validation(problem);
    if (auto problem = check_password(password); !problem.empty()) throw ApiError::validation(problem);
    auto decision = studio->signup_limiter.check(req.remote_addr);
    if (!decision.allowed) throw too_many(decision.retry_after, "too many new accounts from this address");
    User user;
    try {
      user = studio->users.create(name, password, false);
    } catch (const UserExistsError& e) {
      throw ApiError(409, "CONFLICT", std::string(e.what()) + ": choose another username");
    }
    start_session(*studio, req, res, user);
  }, small_body);

  router.add("POST", "/studio/api/signin", [studio](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
    studio->require_csrf(req, std::nullopt);
    const json body = parse_json_object(ctx.body, req.get_header_value("Content-Type"));
    const std::string name = required_string(body, "username");
    const std::string password = required_string(body, "password");
    if (int wait = studio->login_throttle.retry_after(name, req.remote_addr); wait > 0) {
      throw too_many(wait, "too many failed sign-ins");
    }
    auto user = studio->users.authenticate(name, password);
    if (!user) {
      studio->login_throttle.record_failure(name, req.remote_addr);
      throw ApiError::unauthorized("wrong username or password");
    }
    studio->login_throttle.record_success(name);
    start_session(*studio, req, res, *user);
  }, small_body);

  router.add("POST", "/studio/api/signout", [studio](const httplib::Request& req, httplib::Response& res, RequestContext&) {
    auto current = studio->session(req);
    studio->require_csrf(req, current);
    studio->sessions.destroy(cookie_value(req, kSessionCookie));
    res.set_header("Set-Cookie", session_cookie("", 0, arrived_over_https(req)));
    res.set_header("Cache-Control", "no-store");
    server::send_json(res, 200, R"({"signed_out":true})");
  }, small_body);
}

}  // namespace foley::studio
