// Router: (method, path pattern) -> handler, with the contract's 404 / 405 + Allow built in.
// Any module (the API, the web studio, ...) registers its routes here from its own files.
//
// Patterns: exact ("/v1/models"), with named segments ("/api/clips/:id", available as
// ctx.path_params["id"]), or a prefix ending in "/*" ("/static/*", rest in
// ctx.path_params["*"]). Exact and named-segment routes win over prefix routes.
#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace foley::server {

class App;

// What a route needs the dispatcher to do before the handler runs, in the contract's order:
// size (413) -> API-key auth (401) -> rate limit (429) -> the handler (400, 415, 422, 503).
struct RouteOptions {
  bool require_api_key = false;  // Bearer key from the key store; counts against the rate limit
  bool read_body = true;         // for POST/PUT/PATCH/DELETE: read the body into ctx.body
  // 0: the server's --max-body-bytes.
  std::size_t max_body_bytes = 0;
};

// Per-request state shared by the dispatcher and the handler.
struct RequestContext {
  std::string request_id;                          // also sent as X-Request-Id
  std::string key_id;                              // set when require_api_key passed
  std::string key_name;
  std::map<std::string, std::string> path_params;  // from ":name" segments and "*"
  std::string body;                                // read per RouteOptions::read_body
  int clips = 0;                                   // for the access log
  std::chrono::steady_clock::time_point started;
  // True once the client has closed its connection (polls the socket; cheap).
  std::function<bool()> client_disconnected = [] { return false; };
};

using RouteHandler =
    std::function<void(const httplib::Request&, httplib::Response&, RequestContext&)>;

struct Route {
  std::string method;
  std::string pattern;
  RouteOptions options;
  RouteHandler handler;
};

class Router {
 public:
  void add(std::string method, std::string pattern, RouteHandler handler,
           RouteOptions options = {});

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed_methods;  // when the path matches but the method not
  };
  Match match(const std::string& method, const std::string& path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Writes a JSON body with the right content type.
void send_json(httplib::Response& res, int status, const std::string& json_text);

}  // namespace foley::server
