// Web sessions: a random 256-bit token in an HttpOnly cookie; the database keeps only its
// SHA-256, so a leaked database file does not let anyone sign in. Each session carries its
// own CSRF token, which state-changing requests must echo in X-CSRF-Token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "foley/server/database.h"
#include "foley/studio/users.h"

namespace foley::studio {

struct Session {
  std::string token_hash;
  std::string csrf_token;
  User user;
  int64_t expires_at = 0;
};

struct NewSession {
  std::string token;  // goes into the cookie, never stored
  Session session;
};

class SessionStore {
 public:
  static constexpr int64_t kLifetimeSeconds = 14 * 24 * 3600;

  explicit SessionStore(server::Database& db) : db_(db) {}

  NewSession create(const User& user);
  // The live session for a cookie token (expired ones are removed on the way).
  std::optional<Session> find(const std::string& token);
  void destroy(const std::string& token);
  void purge_expired();

 private:
  server::Database& db_;
};

}  // namespace foley::studio
