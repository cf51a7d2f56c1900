#include "foley/studio/sessions.h"

#include "foley/studio/secrets.h"

namespace foley::studio {

FOLEY_REGISTER_MIGRATION(101, "studio: sessions",
                         "CREATE TABLE studio_sessions ("
                         "  token_sha256 TEXT PRIMARY KEY,"
                         "  user_id INTEGER NOT NULL REFERENCES studio_users(id) ON DELETE CASCADE,"
                         "  csrf_token TEXT NOT NULL,"
                         "  created_at INTEGER NOT NULL,"
                         "  expires_at INTEGER NOT NULL);"
                         "CREATE INDEX studio_sessions_expiry ON studio_sessions(expires_at);");

NewSession SessionStore::create(const User& user) {
  NewSession created;
  created.token = random_token(32);
  created.session.token_hash = sha256_hex(created.token);
  created.session.csrf_token = random_token(32);
  created.session.user = user;
  const int64_t now = unix_now();
  created.session.expires_at = now + kLifetimeSeconds;
  db_.with_connection([&](sqlite3* db) {
    server::Statement s(db,
                        "INSERT INTO studio_sessions (token_sha256, user_id, csrf_token, created_at, "
                        "expires_at) VALUES (?, ?, ?, ?, ?)");
    s.bind(1, created.session.token_hash)
        .bind(2, user.id)
        .bind(3, created.session.csrf_token)
        .bind(4, now)
        .bind(5, created.session.expires_at);
    s.step();
  });
  return created;
}

std::optional<Session> SessionStore::find(const std::string& token) {
  if (token.empty() || token.size() > 128) return std::nullopt;
  const std::string hash = sha256_hex(token);
  const int64_t now = unix_now();
  return db_.with_connection([&](sqlite3* db) -> std::optional<Session> {
    server::Statement s(db,
                        "SELECT s.csrf_token, s.expires_at, u.id, u.name, u.is_admin, u.created_at "
                        "FROM studio_sessions s JOIN studio_users u ON u.id = s.user_id "
                        "WHERE s.token_sha256 = ?");
    s.bind(1, hash);
    if (!s.step()) return std::nullopt;
    Session session{hash, s.text(0), User{s.integer(2), s.text(3), s.integer(4) != 0, s.integer(5)},
                    s.integer(1)};
    if (session.expires_at <= now) {
      server::Statement remove(db, "DELETE FROM studio_sessions WHERE token_sha256 = ?");
      remove.bind(1, hash);
      remove.step();
      return std::nullopt;
    }
    return session;
  });
}

void SessionStore::destroy(const std::string& token) {
  if (token.empty()) return;
  const std::string hash = sha256_hex(token);
  db_.with_connection([&](sqlite3* db) {
    server::Statement s(db, "DELETE FROM studio_sessions WHERE token_sha256 = ?");
    s.bind(1, hash);
    s.step();
  });
}

void SessionStore::purge_expired() {
  const int64_t now = unix_now();
  db_.with_connection([&](sqlite3* db) {
    server::Statement s(db, "DELETE FROM studio_sessions WHERE expires_at <= ?");
    s.bind(1, now);
    s.step();
  });
}

}  // namespace foley::studio
