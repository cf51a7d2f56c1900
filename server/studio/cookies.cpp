// Cookie reading and the studio's Set-Cookie values.
#include <string>

#include "foley/studio/studio.h"

namespace foley::studio {

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  const std::size_t count = req.get_header_value_count("Cookie");
  for (std::size_t i = 0; i < count; ++i) {
    const std::string header = req.get_header_value("Cookie", i);
    std::size_t pos = 0;
    while (pos < header.size()) {
      std::size_t end = header.find(';', pos);
      if (end == std::string::npos) end = header.size();
      std::string part = header.substr(pos, end - pos);
      pos = end + 1;
      const auto first = part.find_first_not_of(' ');
      if (first == std::string::npos) continue;
      part = part.substr(first);
      const auto eq = part.find('=');
      if (eq != std::string::npos && part.compare(0, eq, name) == 0 && eq == name.size()) {
        return part.substr(eq + 1);
      }
    }
  }
  return {};
}

std::string session_cookie(const std::string& token, int64_t max_age_seconds, bool secure) {
  // HttpOnly: page scripts (and injected ones) never see it. SameSite=Lax: not sent on
  // cross-site POSTs, yet a link into the studio from elsewhere arrives signed in.
  std::string cookie = std::string(kSessionCookie) + "=" + token +
                       "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age_seconds);
  if (secure) cookie += "; Secure";
  return cookie;
}

std::string csrf_cookie(const std::string& token, bool secure) {
  std::string cookie = std::string(kCsrfCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict";
  if (secure) cookie += "; Secure";
  return cookie;
}

bool arrived_over_https(const httplib::Request& req) {
  return req.get_header_value("X-Forwarded-Proto") == "https";
}

}  // namespace foley::studio
