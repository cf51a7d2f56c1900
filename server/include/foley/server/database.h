// Database: the server's embedded SQLite file (<data dir>/foley.db, WAL mode) and its
// numbered schema migrations.
//
// Migrations: any module adds schema steps from its own .cpp file with
//   FOLEY_REGISTER_MIGRATION(110, "studio: users", "CREATE TABLE users (...);");
// Ids are global and applied once each in ascending order inside a transaction; applied ids
// are recorded in schema_migrations. Ranges: 1-99 core API (keys), 100-199 web studio,
// 200+ later modules. Never edit a released step; add a new one.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace foley::server {

class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Migration {
  int id = 0;
  std::string name;
  std::string sql;  // one or more statements
};

// The process-wide list modules add to (before Database::open runs the migrations).
std::map<int, Migration>& migration_registry();

struct MigrationRegistrar {
  MigrationRegistrar(int id, const char* name, const char* sql);
};

// A prepared statement; bind by 1-based index, step, read columns by 0-based index.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);
  Statement& bind_null(int index);
  // true while a row is available.
  bool step();
  std::string text(int column) const;
  int64_t integer(int column) const;
  double real(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  // Opens (creating) the file, enables WAL and a busy timeout, runs pending migrations.
  static std::unique_ptr<Database> open(const std::filesystem::path& file);
  ~Database();

  // Runs fn with the connection locked: SQLite connections are not shared between threads
  // without a lock, and one connection is plenty for this service's write rate.
  template <typename Fn>
  auto with_connection(Fn&& fn) {
    std::lock_guard lock(mutex_);
    return fn(db_);
  }
  void exec(const std::string& sql);  // statements without results, under the lock
  std::vector<int> applied_migrations();

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  void migrate();
  sqlite3* db_;
  std::mutex mutex_;
};

}  // namespace foley::server

#define FOLEY_REGISTER_MIGRATION(id, name, sql) \
  static const ::foley::server::MigrationRegistrar foley_migration_##id{id, name, sql}
