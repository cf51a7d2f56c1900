// App: the HTTP service object. It owns the HTTP server, the Router, the database, the key
// store, the rate limiter, the metrics and the GenerationService, and installs modules:
//
//   - the core API (server/src/api_routes.cpp): generate, health, models, metrics, docs;
//   - any module that registers itself from its own file, e.g. server/studio/*.cpp:
//       static void install_studio(foley::server::App& app) {
//         app.router().add("GET", "/api/plaza", handle_plaza);
//         app.serve_static("/", app.config().web_root);
//       }
//       FOLEY_REGISTER_SERVER_MODULE(studio, install_studio);
//
// Modules are installed in name order at construction, after the database is open and
// migrated (their FOLEY_REGISTER_MIGRATION steps included). server/README.md documents it.
#pragma once

#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "foley/server/api_error.h"
#include "foley/server/api_keys.h"
#include "foley/server/config.h"
#include "foley/server/database.h"
#include "foley/server/generation.h"
#include "foley/server/metrics.h"
#include "foley/server/rate_limiter.h"
#include "foley/server/router.h"

namespace foley::server {

class App {
 public:
  explicit App(ServerConfig config);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  const ServerConfig& config() const { return config_; }
  Router& router() { return router_; }
  Database& database() { return *database_; }
  ApiKeyStore& keys() { return *keys_; }
  RateLimiter& rate_limiter() { return *rate_limiter_; }
  GenerationService& generation() { return generation_; }
  Metrics& metrics() { return metrics_; }

  // Serves files under `directory` for GET/HEAD below `url_prefix` ("/" or "/static").
  // Paths are resolved and confined to the directory (no "..", no symlink escapes);
  // "/" maps to index.html. Unknown files are 404 in the contract's JSON shape.
  void serve_static(const std::string& url_prefix, const std::filesystem::path& directory);

  // Checks the Authorization header against the key store and the rate limiter, exactly as
  // for routes with RouteOptions::require_api_key (throws ApiError 401 / 429; sets
  // ctx.key_id and the RateLimit headers). For modules with their own auth mix.
  void authenticate_api_key(const httplib::Request& req, httplib::Response& res,
                            RequestContext& ctx);

  // Loads the configured models on a background thread (readyz turns 200 when done).
  // Load errors are logged and leave the server not ready; with `exit_on_failure` the
  // process exits with status 1 (the `foley serve` behaviour: fail loudly, not silently).
  void load_models_async(bool exit_on_failure);

  // Binds host:port (port 0: any free port). Returns the port. Throws on failure.
  int bind();
  // Serves until stop(); blocks.
  void listen();
  // Graceful stop: refuse new generate work, let queued/running work finish within the
  // grace period (then reject/cancel it), then stop the HTTP server.
  void shutdown();
  bool shutting_down() const { return shutting_down_.load(); }

 private:
  void dispatch(const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader* reader);
  void write_access_log(const httplib::Request& req, const httplib::Response& res,
                        const RequestContext& ctx) const;

  ServerConfig config_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<ApiKeyStore> keys_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  Metrics metrics_;
  GenerationService generation_;
  Router router_;
  std::unique_ptr<httplib::Server> http_;
  std::thread model_loader_;
  std::atomic<bool> shutting_down_{false};
};

// Module registration (see the top of this file).
using ModuleInstaller = std::function<void(App&)>;
std::map<std::string, ModuleInstaller>& module_registry();
struct ModuleRegistrar {
  ModuleRegistrar(const char* name, ModuleInstaller installer) {
    module_registry().emplace(name, std::move(installer));
  }
};

}  // namespace foley::server

#define FOLEY_REGISTER_SERVER_MODULE(name, fn) \
  static const ::foley::server::ModuleRegistrar foley_server_module_##name{#name, fn}
