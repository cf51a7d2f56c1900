// The web studio module: accounts, sessions, CSRF, login throttling, studio generation, the
// Plaza and per-user API keys, as JSON endpoints under /studio/api/, plus the static web app
// (web/) served at /. One Studio object per App, shared by the route handlers.
#pragma once

#include <httplib.h>

#include <memory>
#include <optional>
#include <string>

#include "foley/server/app.h"
#include "foley/server/rate_limiter.h"
#include "foley/studio/clip_cache.h"
#include "foley/studio/login_throttle.h"
#include "foley/studio/plaza_store.h"
#include "foley/studio/sessions.h"
#include "foley/studio/users.h"

namespace foley::studio {

inline constexpr const char* kSessionCookie = "foley_session";
inline constexpr const char* kCsrfCookie = "foley_csrf";
inline constexpr const char* kCsrfHeader = "X-CSRF-Token";

struct Studio {
  explicit Studio(server::App& app);

  server::App& app;
  UserStore users;
  SessionStore sessions;
  PlazaStore plaza;
  ClipCache clips;
  LoginThrottle login_throttle;
  // Sign-ups per client address: an open form should not mint thousands of accounts.
  server::RateLimiter signup_limiter{20, std::chrono::hours(1)};
  // Plays counted per (address, clip) per hour.
  server::RateLimiter play_limiter{1, std::chrono::hours(1)};

  // The signed-in user's session from the cookie, if any.
  std::optional<Session> session(const httplib::Request& req);
  // Same, or 401 "sign in first".
  Session require_session(const httplib::Request& req);
  // For POST/DELETE: the request comes from our own page (Origin / Sec-Fetch-Site) and
  // echoes the CSRF token (the session's, or the anonymous double-submit cookie). 403 if not.
  void require_csrf(const httplib::Request& req, const std::optional<Session>& session);
};

// Cookie value by name from the Cookie header ("" when absent).
std::string cookie_value(const httplib::Request& req, const std::string& name);
// `secure` adds the Secure attribute: set when the client reached us over HTTPS (a TLS
// proxy in front says so with X-Forwarded-Proto: https); plain-HTTP loopback cannot use it.
std::string session_cookie(const std::string& token, int64_t max_age_seconds, bool secure = false);
std::string csrf_cookie(const std::string& token, bool secure = false);
bool arrived_over_https(const httplib::Request& req);

// Route installers, one per file.
void install_account_routes(const std::shared_ptr<Studio>& studio);
void install_generate_routes(const std::shared_ptr<Studio>& studio);
void install_plaza_routes(const std::shared_ptr<Studio>& studio);
void install_key_routes(const std::shared_ptr<Studio>& studio);

}  // namespace foley::studio
