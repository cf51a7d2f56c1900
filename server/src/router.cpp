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
  // Two passes: exact / named-segment routes first, then prefix routes, so a static-file
  // mount at "/*" never shadows an API path.
  for (int pass = 0; pass < 2; ++pass) {
    for (const Route& route : routes_) {
      bool prefix = is_prefix_pattern(route.pattern);
      if (prefix != (pass == 1)) continue;
      std::map<std::string, std::string> params;
      bool hit = prefix ? match_prefix(route.pattern, path, params)
                        : match_segments(route.pattern, path, params);
      if (!hit) continue;
      bool same_method = route.method == method || (method == "HEAD" && route.method == "GET");
      if (same_method) {
        result.route = &route;
        result.params = std::move(params);
        return result;
      }
      // Only exact / named routes answer 405: a static mount at "/*" must not turn every
      // unknown POST into "405 Allow: GET".
      if (!prefix && std::find(result.allowed_methods.begin(), result.allowed_methods.end(),
                               route.method) == result.allowed_methods.end()) {
        result.allowed_methods.push_back(route.method);
      }
    }
    if (!result.allowed_methods.empty()) break;  // the path is known: 405, not a prefix route
  }
  return result;
}

void send_json(httplib::Response& res, int status, const std::string& json_text) {
  res.status = status;
  res.set_content(json_text, "application/json");
}

}  // namespace foley::server
