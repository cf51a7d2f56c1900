// Sound Effects Plaza storage: a row per shared clip in the server's database and its audio
// as FLAC in <data dir>/plaza/<id>.flac.
//
// Durability order (so a kill -9 at any instant loses nothing committed and leaves nothing
// half-made): write the file atomically (temp, fsync, rename, fsync dir), THEN insert the
// row. A crash before the insert leaves an orphan file with no row; cleanup_orphans(), run at
// startup, removes those and any temporaries. Deleting goes the other way: row first, then
// the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "foley/server/database.h"
#include "foley/studio/users.h"

namespace foley::studio {

struct PlazaClip {
  std::string id;  // 16 lower-case hex characters
  int64_t user_id = 0;
  std::string owner;  // username
  std::string prompt;
  std::string negative_prompt;
  double cfg = 4.5;
  int64_t seed = 0;
  double duration = 0;
  int64_t steps = 0;  // 0: the model's default
  std::string model;
  int64_t created_at = 0;
  int64_t plays = 0;
};

enum class PlazaSort { kNewest, kMostPlayed };

struct PlazaPage {
  std::vector<PlazaClip> items;
  int64_t total = 0;
};

struct CleanupReport {
  int temporaries_removed = 0;
  int orphan_files_removed = 0;
  int rows_without_audio_removed = 0;
};

class PlazaStore {
 public:
  // `directory` is created if missing.
  PlazaStore(server::Database& db, std::filesystem::path directory);

  static bool valid_id(const std::string& id);

  // Stores the FLAC bytes and the row; returns the stored clip (id, created_at filled).
  PlazaClip share(PlazaClip clip, const std::string& flac_bytes);
  PlazaPage list(PlazaSort sort, int64_t page, int64_t page_size);
  std::optional<PlazaClip> find(const std::string& id);
  // The new play count, or nullopt for an unknown id.
  std::optional<int64_t> count_play(const std::string& id);

  enum class RemoveResult { kRemoved, kNotFound, kForbidden };
  // Owners delete their own clips; administrators any.
  RemoveResult remove(const std::string& id, const User& by);

  std::filesystem::path audio_path(const std::string& id) const;
  CleanupReport cleanup_orphans();

 private:
  server::Database& db_;
  std::filesystem::path directory_;
};

}  // namespace foley::studio
