// Registers the web studio with the server: stores, startup cleanup, routes, static files.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "foley/server/api_error.h"
#include "foley/studio/secrets.h"
#include "foley/studio/studio.h"

namespace foley::studio {

namespace fs = std::filesystem;

Studio::Studio(server::App& app_ref)
    : app(app_ref),
      users(app_ref.database()),
      sessions(app_ref.database()),
      plaza(app_ref.database(), fs::path(app_ref.config().data_dir) / "plaza") {}

std::optional<Session> Studio::session(const httplib::Request& req) {
  const std::string token = cookie_value(req, kSessionCookie);
  if (token.empty()) return std::nullopt;
  return sessions.find(token);
}

Session Studio::require_session(const httplib::Request& req) {
  auto found = session(req);
  if (!found) throw server::ApiError::unauthorized("sign in first: this needs a studio account session");
  return *found;
}

void Studio::require_csrf(const httplib::Request& req, const std::optional<Session>& current) {
  const std::string fetch_site = req.get_header_value("Sec-Fetch-Site");
  if (fetch_site == "cross-site") {
    throw server::ApiError(403, "FORBIDDEN", "cross-site requests are not accepted by the studio");
  }
  const std::string origin = req.get_header_value("Origin");
  if (!origin.empty() && origin != "null") {
    const std::string host = req.get_header_value("Host");
    if (origin != "http://" + host && origin != "https://" + host) {
      throw server::ApiError(403, "FORBIDDEN", "request from another origin (" + origin + ") refused");
    }
  }
  const std::string presented = req.get_header_value(kCsrfHeader);
  const std::string expected = current ? current->csrf_token : cookie_value(req, kCsrfCookie);
  if (presented.empty() || expected.empty() || !constant_time_equal(presented, expected)) {
    throw server::ApiError(403, "FORBIDDEN",
                           "missing or wrong X-CSRF-Token header: reload the page and try again");
  }
}

namespace {

// Everything the page needs comes from this server; nothing may frame it. Inline styles
// are allowed because the page sets a few style attributes from its scripts.
void set_page_security_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                 "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
                 "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "same-origin");
  res.set_header("X-Frame-Options", "DENY");
}

fs::path resolve_web_root(const server::ServerConfig& config) {
  if (!config.web_root.empty()) return config.web_root;
#ifdef FOLEY_STUDIO_DEFAULT_WEB_ROOT
  const fs::path built_from = FOLEY_STUDIO_DEFAULT_WEB_ROOT;
  std::error_code error;
  if (fs::exists(built_from / "index.html", error)) return built_from;
#endif
  return {};
}

void install_studio(server::App& app) {
  auto studio = std::make_shared<Studio>(app);
  const CleanupReport report = studio->plaza.cleanup_orphans();
  if (report.temporaries_removed + report.orphan_files_removed + report.rows_without_audio_removed > 0) {
    std::fprintf(stderr,
                 "studio: plaza cleanup removed %d temporary file(s), %d orphan audio file(s), "
                 "%d row(s) without audio\n",
                 report.temporaries_removed, report.orphan_files_removed,
                 report.rows_without_audio_removed);
  }
  studio->sessions.purge_expired();

  install_account_routes(studio);
  install_generate_routes(studio);
  install_plaza_routes(studio);
  install_key_routes(studio);

  const fs::path web_root = resolve_web_root(app.config());
  if (web_root.empty()) {
    std::fprintf(stderr, "studio: no web root (--web-root DIR): the web studio is not served\n");
  } else {
    app.serve_static("/", web_root);
    // The page itself, with the headers that confine it; an exact route wins over "/*".
    app.router().add("GET", "/", [web_root](const httplib::Request&, httplib::Response& res,
                                           server::RequestContext&) {
      std::ifstream in(web_root / "index.html", std::ios::binary);
      if (!in) throw server::ApiError::not_found("the web studio's index.html is missing");
      std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      set_page_security_headers(res);
      res.set_header("Cache-Control", "no-cache");
      res.set_content(std::move(html), "text/html; charset=utf-8");
    });
  }
}

}  // namespace

FOLEY_REGISTER_SERVER_MODULE(studio, install_studio);

}  // namespace foley::studio
