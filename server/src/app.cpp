#include "foley/server/app.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>

#include "connection_probe.h"

namespace foley::server {

void install_api_routes(App& app);  // api_routes.cpp

std::map<std::string, ModuleInstaller>& module_registry() {
  static std::map<std::string, ModuleInstaller> registry;
  return registry;
}

namespace {

// cpp-httplib 0.11 listens with a backlog of 5: a burst of clients overflows the accept
// queue and some connections fail. Calling listen() again on the bound socket raises it.
class HttpServer : public httplib::Server {
 public:
  void raise_listen_backlog(int backlog) {
    socket_t sock = svr_sock_;
    if (sock != INVALID_SOCKET) ::listen(sock, backlog);
  }
};

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  uint64_t v = rng();
  std::string id = "req_";
  for (int i = 0; i < 16; ++i) id += digits[(v >> (4 * i)) & 15];
  return id;
}

std::string utc_timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buffer;
}

void write_error(httplib::Response& res, const RequestContext& ctx, int status,
                 const std::string& code, const std::string& message) {
  nlohmann::ordered_json body = {{"code", code}, {"message", message}, {"request_id", ctx.request_id}};
  send_json(res, status, body.dump());
}

const std::map<std::string, std::string>& content_types() {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
      {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".ico", "image/x-icon"},
      {".wav", "audio/wav"}, {".flac", "audio/flac"}, {".txt", "text/plain; charset=utf-8"},
      {".md", "text/markdown; charset=utf-8"}, {".woff2", "font/woff2"}, {".webp", "image/webp"},
      {".map", "application/json"}};
  return types;
}

}  // namespace

App::App(ServerConfig config) : config_(std::move(config)) {
  std::filesystem::create_directories(config_.data_dir);
  database_ = Database::open(std::filesystem::path(config_.data_dir) / "foley.db");
  keys_ = std::make_unique<ApiKeyStore>(*database_);
  rate_limiter_ = std::make_unique<RateLimiter>(config_.rate_limit_requests,
                                                std::chrono::seconds(config_.rate_limit_window_s));
  http_ = std::make_unique<HttpServer>();

  // Enough HTTP threads that every admitted request can wait on its own thread and health
  // checks still find a free one (llama.cpp's lesson: /health must answer when busy).
  // cpp-httplib serves one connection per thread for the connection's keep-alive lifetime,
  // so idle keep-alive clients hold threads too: at least 64.
  int threads = config_.http_threads > 0
                    ? config_.http_threads
                    : std::max(64, config_.queue_capacity_clips + config_.max_batch_clips + 8);
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http_->set_payload_max_length(config_.max_body_bytes);
  // httplib writes headers and body separately; with Nagle on, a keep-alive client waits for
  // the 40 ms delayed ACK on every response. Accepted sockets inherit this from the listener.
  http_->set_tcp_nodelay(true);
  http_->set_read_timeout(10, 0);
  http_->set_write_timeout(30, 0);

  auto plain = [this](const httplib::Request& req, httplib::Response& res) {
    dispatch(req, res, nullptr);
  };
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) { dispatch(req, res, &reader); };
  http_->Get(".*", plain);
  http_->Options(".*", plain);
  http_->Post(".*", with_body);
  http_->Put(".*", with_body);
  http_->Patch(".*", with_body);
  http_->Delete(".*", with_body);
  // Failures httplib detects itself (malformed request line, a body over the limit on a
  // method without a content reader) still get the contract's JSON error shape.
  http_->set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    RequestContext ctx;
    ctx.request_id = new_request_id();
    res.set_header("X-Request-Id", ctx.request_id);
    std::string code = res.status == 413 ? "PAYLOAD_TOO_LARGE"
                       : res.status == 404 ? "NOT_FOUND"
                       : res.status >= 500 ? "INTERNAL"
                                           : "BAD_REQUEST";
    write_error(res, ctx, res.status, code, "the HTTP request could not be processed (status " +
                                                std::to_string(res.status) + ")");
    return httplib::Server::HandlerResponse::Handled;
  }));

  install_api_routes(*this);
  for (const auto& [name, install] : module_registry()) install(*this);
}

App::~App() {
  if (http_) http_->stop();
  if (model_loader_.joinable()) model_loader_.join();
  generation_.stop();
}

void App::authenticate_api_key(const httplib::Request& req, httplib::Response& res,
                               RequestContext& ctx) {
  auto unauthorized = [](const std::string& message) {
    return ApiError::unauthorized(message).with_header("WWW-Authenticate", "Bearer");
  };
  if (!req.has_header("Authorization")) {
    throw unauthorized(
        "the Authorization header is missing; send 'Authorization: Bearer <api key>' (create a "
        "key with `foley keys create --name NAME`)");
  }
  std::string header = req.get_header_value("Authorization");
  const std::string scheme = "bearer ";
  bool bearer = header.size() > scheme.size() &&
                std::equal(scheme.begin(), scheme.end(), header.begin(),
                           [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
  std::string token = bearer ? header.substr(scheme.size()) : "";
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  if (!bearer || token.empty() || token.find(' ') != std::string::npos) {
    throw unauthorized("the Authorization header is malformed; expected 'Bearer <api key>'");
  }
  auto verification = keys_->verify(token);
  switch (verification.verdict) {
    case ApiKeyStore::Verdict::kMalformed:
      throw unauthorized("the API key is malformed; Foley keys look like 'fk_<12 hex>_<secret>'");
    case ApiKeyStore::Verdict::kUnknown:
      throw unauthorized("the API key is not valid; check it or create one with `foley keys create`");
    case ApiKeyStore::Verdict::kRevoked:
      throw unauthorized("the API key " + verification.info.id + " has been revoked; use another key");
    case ApiKeyStore::Verdict::kExpired:
      throw unauthorized("the API key " + verification.info.id +
                         " has expired; create a new one with `foley keys create`");
    case ApiKeyStore::Verdict::kValid:
      break;
  }
  ctx.key_id = verification.info.id;
  ctx.key_name = verification.info.name;
  auto decision = rate_limiter_->check(ctx.key_id);
  res.set_header("RateLimit-Policy", "\"default\";q=" + std::to_string(rate_limiter_->limit()) +
                                         ";w=" + std::to_string(rate_limiter_->window_seconds()));
  res.set_header("RateLimit", "\"default\";r=" + std::to_string(decision.remaining) +
                                  ";t=" + std::to_string(decision.reset_seconds));
  if (!decision.allowed) {
    throw ApiError(429, "RATE_LIMITED",
                   "rate limit exceeded: at most " + std::to_string(rate_limiter_->limit()) +
                       " requests per " + std::to_string(rate_limiter_->window_seconds()) +
                       " s per API key; retry after " + std::to_string(decision.retry_after) +
                       " s (Retry-After header)")
        .with_header("Retry-After", std::to_string(decision.retry_after));
  }
}

void App::dispatch(const httplib::Request& req, httplib::Response& res,
                   const httplib::ContentReader* reader) {
  RequestContext ctx;
  ctx.started = std::chrono::steady_clock::now();
  ctx.request_id = new_request_id();
  res.set_header("X-Request-Id", ctx.request_id);
  std::string metric_path = "(unmatched)";
  try {
    auto match = router_.match(req.method, req.path);
    if (!match.route) {
      if (!match.allowed_methods.empty()) {
        std::string allow;
        for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
        if (allow.find("GET") != std::string::npos) allow += ", HEAD";
        throw ApiError(405, "METHOD_NOT_ALLOWED",
                       "method " + req.method + " is not allowed on " + req.path + "; use " + allow)
            .with_header("Allow", allow);
      }
      throw ApiError::not_found("no endpoint at " + req.method + " " + req.path +
                                "; see GET /openapi.json for the API");
    }
    metric_path = match.route->pattern;
    ctx.path_params = std::move(match.params);
    const RouteOptions& options = match.route->options;
    const std::size_t limit = options.max_body_bytes ? options.max_body_bytes : config_.max_body_bytes;
    auto too_large = [&] {
      // The rest of the body stays unread, so the connection cannot carry another request.
      res.set_header("Connection", "close");
      return ApiError::payload_too_large("the request body is larger than " + std::to_string(limit) +
                                         " bytes; send a smaller body");
    };
    if (reader && req.has_header("Content-Length")) {
      const std::string length_text = req.get_header_value("Content-Length");
      bool digits = !length_text.empty() &&
                    std::all_of(length_text.begin(), length_text.end(),
                                [](char ch) { return ch >= '0' && ch <= '9'; });
      if (!digits) throw ApiError::bad_request("the Content-Length header is not a byte count");
      // More than 18 digits cannot fit a size_t comparison safely and is over any limit.
      if (length_text.size() > 18 || std::stoull(length_text) > limit) throw too_large();
    }
    if (options.require_api_key) authenticate_api_key(req, res, ctx);
    if (reader) {
      if (options.read_body) {
        bool over = false;
        (*reader)([&](const char* data, size_t length) {
          if (ctx.body.size() + length > limit) {
            over = true;
            return false;
          }
          ctx.body.append(data, length);
          return true;
        });
        if (over) throw too_large();
      } else {
        res.set_header("Connection", "close");
      }
    }
    auto probe = std::make_shared<std::optional<ConnectionProbe>>();
    ctx.client_disconnected = [probe, &req] {
      if (!probe->has_value()) probe->emplace(req.local_addr, req.local_port, req.remote_addr, req.remote_port);
      return (*probe)->disconnected();
    };
    match.route->handler(req, res, ctx);
  } catch (const ApiError& e) {
    for (const auto& [name, value] : e.headers()) res.set_header(name, value);
    write_error(res, ctx, e.status(), e.code(), e.what());
    if (e.status() >= 500) {
      std::fprintf(stderr, "foley serve: error %s %s: %s\n", ctx.request_id.c_str(),
                   e.code().c_str(), e.what());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "foley serve: internal error in request %s (%s %s): %s\n",
                 ctx.request_id.c_str(), req.method.c_str(), req.path.c_str(), e.what());
    write_error(res, ctx, 500, "INTERNAL",
                "an internal error occurred; it was logged with request id " + ctx.request_id);
  }
  metrics_.record_request(metric_path, res.status);
  if (config_.access_log) write_access_log(req, res, ctx);
}

void App::write_access_log(const httplib::Request& req, const httplib::Response& res,
                           const RequestContext& ctx) const {
  double latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ctx.started).count();
  nlohmann::json line = {{"ts", utc_timestamp()},
                         {"request_id", ctx.request_id},
                         {"method", req.method},
                         {"path", req.path},
                         {"status", res.status},
                         {"key_id", ctx.key_id},
                         {"clips", ctx.clips},
                         {"latency_ms", std::round(latency_ms * 100) / 100},
                         {"remote", req.remote_addr}};
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fputs(text.c_str(), stderr);
}

void App::serve_static(const std::string& url_prefix, const std::filesystem::path& directory) {
  std::error_code ec;
  auto root = std::filesystem::canonical(directory, ec);
  if (ec || !std::filesystem::is_directory(root)) {
    throw std::invalid_argument("static file directory '" + directory.string() +
                                "' does not exist or is not a directory");
  }
  std::string pattern = url_prefix == "/" || url_prefix.empty() ? "/*" : url_prefix + "/*";
  router_.add("GET", pattern, [root](const httplib::Request& req, httplib::Response& res,
                                     RequestContext& ctx) {
    std::string relative = ctx.path_params["*"];
    auto not_found = ApiError::not_found("no file at " + req.path);
    if (relative.find('\0') != std::string::npos || relative.find('\\') != std::string::npos) {
      throw not_found;
    }
    std::stringstream segments(relative);
    std::string segment;
    while (std::getline(segments, segment, '/')) {
      if (segment == "..") throw not_found;
    }
    std::filesystem::path target = root / relative;
    std::error_code err;
    if (relative.empty() || relative.back() == '/' || std::filesystem::is_directory(target, err)) {
      target /= "index.html";
    }
    auto resolved = std::filesystem::weakly_canonical(target, err);
    std::string root_text = root.string() + "/";
    if (err || resolved.string().compare(0, root_text.size(), root_text) != 0 ||
        !std::filesystem::is_regular_file(resolved, err)) {
      throw not_found;
    }
    std::ifstream in(resolved, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto type = content_types().find(resolved.extension().string());
    res.set_content(std::move(content),
                    type != content_types().end() ? type->second : "application/octet-stream");
    res.status = 200;
  });
}

void App::load_models_async(bool exit_on_failure) {
  model_loader_ = std::thread([this, exit_on_failure] {
    for (const auto& model_dir : config_.models) {
      try {
        EngineOptions options;
        options.threads = config_.engine_threads;
        auto started = std::chrono::steady_clock::now();
        auto engine = load_engine(model_dir, config_.t5_dir, options);
        std::string id = engine->info().id;
        SchedulerOptions scheduler_options{config_.queue_capacity_clips, config_.max_batch_clips};
        generation_.add_model(std::move(engine), scheduler_options,
                              [this](int clips, double seconds, double audio_seconds) {
                                metrics_.record_batch(clips, seconds, audio_seconds);
                              });
        std::fprintf(stderr, "foley serve: model '%s' loaded from %s in %.1f s\n", id.c_str(),
                     model_dir.c_str(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "foley serve: cannot load model %s: %s\n", model_dir.c_str(), e.what());
        if (exit_on_failure) std::_Exit(1);
      }
    }
  });
}

int App::bind() {
  int port = config_.port;
  if (port == 0) {
    port = http_->bind_to_any_port(config_.host);
    if (port < 0) throw std::runtime_error("cannot bind to " + config_.host + " on any port");
  } else if (!http_->bind_to_port(config_.host, port)) {
    throw std::runtime_error("cannot listen on " + config_.host + ":" + std::to_string(port) +
                             " (in use? pick another with --port)");
  }
  static_cast<HttpServer&>(*http_).raise_listen_backlog(1024);
  return port;
}

void App::listen() { http_->listen_after_bind(); }

void App::shutdown() {
  if (shutting_down_.exchange(true)) return;
  generation_.drain(std::chrono::seconds(config_.shutdown_grace_s));
  http_->stop();
}

}  // namespace foley::server
