#include "foley/server/database.h"

#include <sqlite3.h>

namespace foley::server {

std::map<int, Migration>& migration_registry() {
  static std::map<int, Migration> registry;
  return registry;
}

MigrationRegistrar::MigrationRegistrar(int id, const char* name, const char* sql) {
  auto [it, inserted] = migration_registry().emplace(id, Migration{id, name, sql});
  if (!inserted) {
    // Two modules picked the same id: fail at startup, loudly, rather than skip a step.
    throw DatabaseError("migration id " + std::to_string(id) + " registered twice ('" +
                        it->second.name + "' and '" + name + "')");
  }
}

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
      SQLITE_OK) {
    throw DatabaseError(std::string("SQL prepare failed: ") + sqlite3_errmsg(db));
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, const std::string& value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw DatabaseError(std::string("SQL step failed: ") + sqlite3_errmsg(db_));
}

std::string Statement::text(int column) const {
  const unsigned char* value = sqlite3_column_text(stmt_, column);
  return value ? std::string(reinterpret_cast<const char*>(value),
                             static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
               : std::string();
}
int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }
bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

namespace {
void exec_or_throw(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw DatabaseError("SQL failed: " + message);
  }
}
}  // namespace

std::unique_ptr<Database> Database::open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw DatabaseError("cannot open database " + file.string() + ": " + message);
  }
  std::unique_ptr<Database> database(new Database(db));
  // WAL: readers never block the writer, and `foley keys` can run beside a live server.
  sqlite3_busy_timeout(db, 5000);
  exec_or_throw(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
  database->migrate();
  return database;
}

Database::~Database() { sqlite3_close(db_); }

void Database::exec(const std::string& sql) {
  std::lock_guard lock(mutex_);
  exec_or_throw(db_, sql);
}

std::vector<int> Database::applied_migrations() {
  std::lock_guard lock(mutex_);
  std::vector<int> ids;
  Statement s(db_, "SELECT id FROM schema_migrations ORDER BY id");
  while (s.step()) ids.push_back(static_cast<int>(s.integer(0)));
  return ids;
}

void Database::migrate() {
  std::lock_guard lock(mutex_);
  exec_or_throw(db_,
                "CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, "
                "name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  for (const auto& [id, migration] : migration_registry()) {
    // BEGIN IMMEDIATE takes the write lock first, so two processes starting at once cannot
    // both apply the same step.
    exec_or_throw(db_, "BEGIN IMMEDIATE");
    try {
      bool applied;
      {
        Statement check(db_, "SELECT 1 FROM schema_migrations WHERE id = ?");
        check.bind(1, static_cast<int64_t>(id));
        applied = check.step();
      }
      if (!applied) {
        exec_or_throw(db_, migration.sql);
        Statement record(db_,
                         "INSERT INTO schema_migrations (id, name, applied_at) "
                         "VALUES (?, ?, strftime('%s','now'))");
        record.bind(1, static_cast<int64_t>(id)).bind(2, migration.name);
        record.step();
      }
      exec_or_throw(db_, "COMMIT");
    } catch (const std::exception& e) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw DatabaseError("migration " + std::to_string(id) + " ('" + migration.name +
                          "') failed: " + e.what());
    }
  }
}

}  // namespace foley::server
