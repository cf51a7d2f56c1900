// ApiKeyStore: API keys in the database. A key is "fk_<id>_<secret>": id is 12 hex chars
// (public, appears in logs and `foley keys list`), secret is 32 random bytes (256 bits,
// RAND_bytes) in base64url. Only SHA-256(secret) is stored; a fast hash is right here
// because the secret is full-entropy (no dictionary to attack). Verification looks the row up
// by id and compares hashes with CRYPTO_memcmp (constant time). Keys are never logged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "foley/server/database.h"

namespace foley::server {

struct ApiKeyInfo {
  std::string id;
  std::string name;
  int64_t created_at = 0;   // unix seconds
  int64_t expires_at = 0;   // unix seconds; 0: never
  int64_t revoked_at = 0;   // 0: active
  int64_t last_used_at = 0;
  std::string owner;        // free-form; empty for CLI keys (the studio stores a user id)
};

struct CreatedApiKey {
  ApiKeyInfo info;
  std::string key;  // the full secret key, shown once
};

class ApiKeyStore {
 public:
  explicit ApiKeyStore(Database& db) : db_(db) {}

  // ttl_seconds 0: never expires.
  CreatedApiKey create(const std::string& name, int64_t ttl_seconds, const std::string& owner = "");
  std::vector<ApiKeyInfo> list(const std::string& owner_filter = "") const;
  // false if no such key (or already revoked).
  bool revoke(const std::string& id);

  enum class Verdict { kValid, kMalformed, kUnknown, kRevoked, kExpired };
  struct Verification {
    Verdict verdict = Verdict::kUnknown;
    ApiKeyInfo info;
  };
  Verification verify(const std::string& presented_key) const;

 private:
  Database& db_;
};

// "30d", "12h", "90m", "3600s", "3600", "never" -> seconds (0 for never). Throws
// std::invalid_argument with a message naming the accepted forms.
int64_t parse_ttl(const std::string& text);

}  // namespace foley::server
