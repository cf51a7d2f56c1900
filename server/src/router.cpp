#include "foley/server/router.h"

#include <algorithm>

namespace foley::server {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

bool is_prefix_pattern(const std::string& pattern) {
  return pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, "/*") == 0;
}

// Exact or ":name" segment match; fills params.
bool match_segments(const std::string& pattern, const std::string& path,
                    std::map<std::string, std::string>& params) {
  if (pattern.find(':') == std::string::npos) return pattern == path;
  auto want = split_path(pattern);
  auto have = split_path(path);
  if (want.size() != have.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (!want[i].empty() && want[i][0] == ':') {
      if (have[i].empty()) return false;
      found[want[i].substr(1)] = have[i];
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

bool match_prefix(const std::string& pattern, const std::string& path,
                  std::map<std::string, std::string>& params) {
  std::string prefix = pattern.substr(0, pattern.size() - 1);  // keeps the trailing '/'
  if (path.compare(0, prefix.size(), prefix) == 0) {
    params["*"] = path.substr(prefix.size());
    return true;
  }
  if (path + "/" == prefix) {  // "/static" for "/static/*"
    params["*"] = "";
    return true;
  }
  return false;
}

}  // namespace

void Router::add(std::string method, std::string pattern, RouteHandler handler,
                 RouteOptions options) {
  routes_.push_back({std::move(method), std::move(pattern), options, std::move(handler)});
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match result;
  // Exact / named-segment routes first; then prefix routes, longest prefix first, so a
  // static-file mount at "/*" never shadows an API path or a more specific mount.
  for (const Route& route : routes_) {
    if (is_prefix_pattern(route.pattern)) continue;
    std::map<std::string, std::string> params;
    if (!match_segments(route.pattern, path, params)) continue;
    if (route.method == method || (method == "HEAD" && route.method == "GET")) {
      result.route = &route;
      result.params = std::move(params);
      return result;
    }
    if (std::find(result.allowed_methods.begin(), result.allowed_methods.end(), route.method) ==
        result.allowed_methods.end()) {
      result.allowed_methods.push_back(route.method);
    }
  }
  // The path is known: 405, not a fall-through to a static mount. Prefix routes never answer
  // 405 (a mount at "/*" must not turn every unknown POST into "405 Allow: GET").
  if (!result.allowed_methods.empty()) return result;
  std::size_t best_length = 0;
  for (const Route& route : routes_) {
    if (!is_prefix_pattern(route.pattern)) continue;
    if (!(route.method == method || (method == "HEAD" && route.method == "GET"))) continue;
    std::map<std::string, std::string> params;
    if (!match_prefix(route.pattern, path, params)) continue;
    if (!result.route || route.pattern.size() > best_length) {
      best_length = route.pattern.size();
      result.route = &route;
      result.params = std::move(params);
    }
  }
  return result;
}

void send_json(httplib::Response& res, int status, const std::string& json_text) {
  res.status = status;
  res.set_content(json_text, "application/json");
}

}  // namespace foley::server
