#include "foley/studio/plaza_store.h"

#include <set>
#include <system_error>

#include "foley/studio/atomic_file.h"
#include "foley/studio/secrets.h"

namespace foley::studio {

FOLEY_REGISTER_MIGRATION(102, "studio: plaza",
                         "CREATE TABLE studio_plaza ("
                         "  id TEXT PRIMARY KEY,"
                         "  user_id INTEGER NOT NULL REFERENCES studio_users(id),"
                         "  prompt TEXT NOT NULL,"
                         "  negative_prompt TEXT NOT NULL DEFAULT '',"
                         "  cfg REAL NOT NULL,"
                         "  seed INTEGER NOT NULL,"
                         "  duration REAL NOT NULL,"
                         "  steps INTEGER NOT NULL DEFAULT 0,"
                         "  model TEXT NOT NULL DEFAULT '',"
                         "  created_at INTEGER NOT NULL,"
                         "  plays INTEGER NOT NULL DEFAULT 0);"
                         "CREATE INDEX studio_plaza_newest ON studio_plaza(created_at);"
                         "CREATE INDEX studio_plaza_plays ON studio_plaza(plays);");

namespace {
constexpr const char* kSelect =
    "SELECT p.id, p.user_id, u.name, p.prompt, p.negative_prompt, p.cfg, p.seed, p.duration, "
    "p.steps, p.model, p.created_at, p.plays FROM studio_plaza p "
    "JOIN studio_users u ON u.id = p.user_id ";

PlazaClip read_clip(const server::Statement& s) {
  PlazaClip c;
  c.id = s.text(0);
  c.user_id = s.integer(1);
  c.owner = s.text(2);
  c.prompt = s.text(3);
  c.negative_prompt = s.text(4);
  c.cfg = s.real(5);
  c.seed = s.integer(6);
  c.duration = s.real(7);
  c.steps = s.integer(8);
  c.model = s.text(9);
  c.created_at = s.integer(10);
  c.plays = s.integer(11);
  return c;
}
}  // namespace

PlazaStore::PlazaStore(server::Database& db, std::filesystem::path directory)
    : db_(db), directory_(std::move(directory)) {
  std::filesystem::create_directories(directory_);
}

bool PlazaStore::valid_id(const std::string& id) {
  if (id.size() != 16) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::filesystem::path PlazaStore::audio_path(const std::string& id) const {
  return directory_ / (id + ".flac");
}

PlazaClip PlazaStore::share(PlazaClip clip, const std::string& flac_bytes) {
  clip.id = random_hex(8);
  clip.created_at = unix_now();
  clip.plays = 0;
  const auto path = audio_path(clip.id);
  write_file_atomically(path, flac_bytes);  // 1. the audio is durable on disk
  try {
    db_.with_connection([&](sqlite3* db) {  // 2. then the row commits (one statement: atomic)
      server::Statement s(db,
                          "INSERT INTO studio_plaza (id, user_id, prompt, negative_prompt, cfg, "
                          "seed, duration, steps, model, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)");
      s.bind(1, clip.id)
          .bind(2, clip.user_id)
          .bind(3, clip.prompt)
          .bind(4, clip.negative_prompt)
          .bind(5, clip.cfg)
          .bind(6, clip.seed)
          .bind(7, clip.duration)
          .bind(8, clip.steps)
          .bind(9, clip.model)
          .bind(10, clip.created_at);
      s.step();
    });
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    throw;
  }
  return clip;
}

PlazaPage PlazaStore::list(PlazaSort sort, int64_t page, int64_t page_size) {
  const std::string order = sort == PlazaSort::kMostPlayed
                                ? "ORDER BY p.plays DESC, p.created_at DESC, p.rowid DESC "
                                : "ORDER BY p.created_at DESC, p.rowid DESC ";
  return db_.with_connection([&](sqlite3* db) {
    PlazaPage result;
    {
      server::Statement count(db, "SELECT COUNT(*) FROM studio_plaza");
      if (count.step()) result.total = count.integer(0);
    }
    server::Statement s(db, std::string(kSelect) + order + "LIMIT ? OFFSET ?");
    s.bind(1, page_size).bind(2, (page - 1) * page_size);
    while (s.step()) result.items.push_back(read_clip(s));
    return result;
  });
}

std::optional<PlazaClip> PlazaStore::find(const std::string& id) {
  if (!valid_id(id)) return std::nullopt;
  return db_.with_connection([&](sqlite3* db) -> std::optional<PlazaClip> {
    server::Statement s(db, std::string(kSelect) + "WHERE p.id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_clip(s);
  });
}

std::optional<int64_t> PlazaStore::count_play(const std::string& id) {
  if (!valid_id(id)) return std::nullopt;
  return db_.with_connection([&](sqlite3* db) -> std::optional<int64_t> {
    server::Statement update(db, "UPDATE studio_plaza SET plays = plays + 1 WHERE id = ?");
    update.bind(1, id);
    update.step();
    if (sqlite3_changes(db) == 0) return std::nullopt;
    server::Statement read(db, "SELECT plays FROM studio_plaza WHERE id = ?");
    read.bind(1, id);
    if (!read.step()) return std::nullopt;
    return read.integer(0);
  });
}

PlazaStore::RemoveResult PlazaStore::remove(const std::string& id, const User& by) {
  auto clip = find(id);
  if (!clip) return RemoveResult::kNotFound;
  if (clip->user_id != by.id && !by.is_admin) return RemoveResult::kForbidden;
  db_.with_connection([&](sqlite3* db) {  // the row goes first: then no one can see it
    server::Statement s(db, "DELETE FROM studio_plaza WHERE id = ?");
    s.bind(1, id);
    s.step();
  });
  std::error_code ignored;  // a file left behind is an orphan that startup cleanup removes
  std::filesystem::remove(audio_path(id), ignored);
  return RemoveResult::kRemoved;
}

CleanupReport PlazaStore::cleanup_orphans() {
  CleanupReport report;
  std::set<std::string> ids;
  db_.with_connection([&](sqlite3* db) {
    server::Statement s(db, "SELECT id FROM studio_plaza");
    while (s.step()) ids.insert(s.text(0));
  });
  std::set<std::string> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, error)) {
    const std::string name = entry.path().filename().string();
    std::error_code ignored;
    if (name.size() > 4 && name.ends_with(kTempSuffix)) {
      std::filesystem::remove(entry.path(), ignored);
      ++report.temporaries_removed;
      continue;
    }
    if (!name.ends_with(".flac")) continue;  // not ours: leave it alone
    const std::string id = name.substr(0, name.size() - 5);
    if (ids.count(id) == 0) {
      std::filesystem::remove(entry.path(), ignored);
      ++report.orphan_files_removed;
    } else {
      files.insert(id);
    }
  }
  // A row whose audio vanished (deleted by hand) would show a clip that cannot play.
  for (const auto& id : ids) {
    if (files.count(id) != 0) continue;
    db_.with_connection([&](sqlite3* db) {
      server::Statement s(db, "DELETE FROM studio_plaza WHERE id = ?");
      s.bind(1, id);
      s.step();
    });
    ++report.rows_without_audio_removed;
  }
  if (report.temporaries_removed + report.orphan_files_removed > 0) fsync_directory(directory_);
  return report;
}

}  // namespace foley::studio
