#include "foley/studio/users.h"

#include <stdexcept>

#include "foley/studio/passwords.h"
#include "foley/studio/secrets.h"

namespace foley::studio {

FOLEY_REGISTER_MIGRATION(100, "studio: users",
                         "CREATE TABLE studio_users ("
                         "  id INTEGER PRIMARY KEY,"
                         "  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
                         "  password_hash TEXT NOT NULL,"
                         "  is_admin INTEGER NOT NULL DEFAULT 0,"
                         "  created_at INTEGER NOT NULL);");

namespace {
User read_user(const server::Statement& s) {
  return User{s.integer(0), s.text(1), s.integer(2) != 0, s.integer(3)};
}

// Verifying against a real hash of a random password costs what a real check costs.
const std::string& decoy_hash() {
  static const std::string hash = hash_password(random_token(16));
  return hash;
}
}  // namespace

User UserStore::create(const std::string& name, const std::string& password, bool is_admin) {
  if (auto problem = check_username(name); !problem.empty()) throw std::invalid_argument(problem);
  if (auto problem = check_password(password); !problem.empty()) throw std::invalid_argument(problem);
  const std::string hash = hash_password(password);  // slow: outside the database lock
  const int64_t now = unix_now();
  return db_.with_connection([&](sqlite3* db) {
    {
      server::Statement exists(db, "SELECT 1 FROM studio_users WHERE name = ?");
      exists.bind(1, name);
      if (exists.step()) throw UserExistsError("username '" + name + "' is already taken");
    }
    server::Statement insert(
        db, "INSERT INTO studio_users (name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)");
    insert.bind(1, name).bind(2, hash).bind(3, int64_t{is_admin ? 1 : 0}).bind(4, now);
    insert.step();
    return User{sqlite3_last_insert_rowid(db), name, is_admin, now};
  });
}

std::optional<User> UserStore::authenticate(const std::string& name, const std::string& password) {
  std::optional<User> user;
  std::string hash;
  db_.with_connection([&](sqlite3* db) {
    server::Statement s(
        db, "SELECT id, name, is_admin, created_at, password_hash FROM studio_users WHERE name = ?");
    s.bind(1, name);
    if (s.step()) {
      user = read_user(s);
      hash = s.text(4);
    }
  });
  if (!user) {
    verify_password(password, decoy_hash());
    return std::nullopt;
  }
  if (!verify_password(password, hash)) return std::nullopt;
  return user;
}

std::optional<User> UserStore::find(int64_t id) {
  return db_.with_connection([&](sqlite3* db) -> std::optional<User> {
    server::Statement s(db, "SELECT id, name, is_admin, created_at FROM studio_users WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_user(s);
  });
}

std::vector<User> UserStore::list() {
  return db_.with_connection([&](sqlite3* db) {
    std::vector<User> users;
    server::Statement s(db, "SELECT id, name, is_admin, created_at FROM studio_users ORDER BY id");
    while (s.step()) users.push_back(read_user(s));
    return users;
  });
}

}  // namespace foley::studio
