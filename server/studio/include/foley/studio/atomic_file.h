// Crash-safe file writes: the bytes go to a temporary file beside the target, are fsync'ed,
// renamed over the target (atomic on POSIX), and the directory is fsync'ed so the rename
// itself survives. A crash leaves either no file or the whole file, plus at worst a
// temporary ("*.tmp") that startup cleanup removes.
#pragma once

#include <filesystem>
#include <string>

namespace foley::studio {

inline constexpr const char* kTempSuffix = ".tmp";

// Throws std::runtime_error naming the path and the system error.
void write_file_atomically(const std::filesystem::path& target, const std::string& bytes);
void fsync_directory(const std::filesystem::path& directory);

}  // namespace foley::studio
