#include "foley/server/api_keys.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <chrono>
#include <stdexcept>

namespace foley::server {

FOLEY_REGISTER_MIGRATION(1, "core: api_keys",
                         "CREATE TABLE api_keys ("
                         "  id TEXT PRIMARY KEY,"
                         "  name TEXT NOT NULL,"
                         "  secret_sha256 BLOB NOT NULL,"
                         "  owner TEXT NOT NULL DEFAULT '',"
                         "  created_at INTEGER NOT NULL,"
                         "  expires_at INTEGER NOT NULL DEFAULT 0,"
                         "  revoked_at INTEGER NOT NULL DEFAULT 0,"
                         "  last_used_at INTEGER NOT NULL DEFAULT 0);"
                         "CREATE INDEX api_keys_owner ON api_keys(owner);");

namespace {

constexpr const char* kKeyPrefix = "fk_";
constexpr std::size_t kIdHexChars = 12;
constexpr std::size_t kSecretBytes = 32;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed: no secure randomness available");
  }
  return out;
}

std::string to_hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string base64url(const std::string& bytes) {
  static const char* alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(buffer >> bits) & 63];
    }
  }
  if (bits > 0) out += alphabet[(buffer << (6 - bits)) & 63];
  return out;
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(const std::string& text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

bool is_lower_hex(const std::string& s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

ApiKeyInfo read_info(const Statement& s) {
  ApiKeyInfo info;
  info.id = s.text(0);
  info.name = s.text(1);
  info.owner = s.text(2);
  info.created_at = s.integer(3);
  info.expires_at = s.integer(4);
  info.revoked_at = s.integer(5);
  info.last_used_at = s.integer(6);
  return info;
}

constexpr const char* kInfoColumns =
    "id, name, owner, created_at, expires_at, revoked_at, last_used_at";

}  // namespace

CreatedApiKey ApiKeyStore::create(const std::string& name, int64_t ttl_seconds,
                                  const std::string& owner) {
  if (name.empty()) throw std::invalid_argument("key name must not be empty (use --name NAME)");
  if (ttl_seconds < 0) throw std::invalid_argument("key ttl must not be negative");
  CreatedApiKey created;
  created.info.id = to_hex(random_bytes(kIdHexChars / 2));
  created.info.name = name;
  created.info.owner = owner;
  created.info.created_at = unix_now();
  created.info.expires_at = ttl_seconds ? created.info.created_at + ttl_seconds : 0;
  std::string secret = base64url(random_bytes(kSecretBytes));
  created.key = kKeyPrefix + created.info.id + "_" + secret;
  auto digest = sha256(secret);
  db_.with_connection([&](sqlite3* db) {
    Statement s(db,
                "INSERT INTO api_keys (id, name, secret_sha256, owner, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)");
    s.bind(1, created.info.id)
        .bind(2, name)
        .bind(3, std::string(digest.begin(), digest.end()))
        .bind(4, owner)
        .bind(5, created.info.created_at)
        .bind(6, created.info.expires_at);
    s.step();
  });
  return created;
}

std::vector<ApiKeyInfo> ApiKeyStore::list(const std::string& owner_filter) const {
  std::vector<ApiKeyInfo> keys;
  db_.with_connection([&](sqlite3* db) {
    std::string sql = std::string("SELECT ") + kInfoColumns + " FROM api_keys" +
                      (owner_filter.empty() ? "" : " WHERE owner = ?") + " ORDER BY created_at, id";
    Statement s(db, sql);
    if (!owner_filter.empty()) s.bind(1, owner_filter);
    while (s.step()) keys.push_back(read_info(s));
  });
  return keys;
}

bool ApiKeyStore::revoke(const std::string& id) {
  return db_.with_connection([&](sqlite3* db) {
    Statement s(db, "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at = 0");
    s.bind(1, unix_now()).bind(2, id);
    s.step();
    return sqlite3_changes(db) > 0;
  });
}

ApiKeyStore::Verification ApiKeyStore::verify(const std::string& presented_key) const {
  Verification result;
  const std::string prefix = kKeyPrefix;
  if (presented_key.size() < prefix.size() + kIdHexChars + 2 ||
      presented_key.compare(0, prefix.size(), prefix) != 0 ||
      presented_key[prefix.size() + kIdHexChars] != '_') {
    result.verdict = Verdict::kMalformed;
    return result;
  }
  std::string id = presented_key.substr(prefix.size(), kIdHexChars);
  std::string secret = presented_key.substr(prefix.size() + kIdHexChars + 1);
  if (!is_lower_hex(id)) {
    result.verdict = Verdict::kMalformed;
    return result;
  }
  auto presented_digest = sha256(secret);
  std::string stored;
  bool found = false;
  db_.with_connection([&](sqlite3* db) {
    Statement s(db, std::string("SELECT ") + kInfoColumns +
                        ", secret_sha256 FROM api_keys WHERE id = ?");
    s.bind(1, id);
    if (s.step()) {
      found = true;
      result.info = read_info(s);
      stored = s.text(7);
    }
  });
  // Compare even when the id is unknown, so timing does not tell ids apart.
  std::array<unsigned char, SHA256_DIGEST_LENGTH> expected{};
  if (found && stored.size() == expected.size()) std::copy(stored.begin(), stored.end(), expected.begin());
  bool equal = CRYPTO_memcmp(presented_digest.data(), expected.data(), expected.size()) == 0;
  if (!found || !equal) {
    result.verdict = Verdict::kUnknown;
    result.info = {};
    return result;
  }
  int64_t now = unix_now();
  if (result.info.revoked_at != 0) {
    result.verdict = Verdict::kRevoked;
  } else if (result.info.expires_at != 0 && now >= result.info.expires_at) {
    result.verdict = Verdict::kExpired;
  } else {
    result.verdict = Verdict::kValid;
    // last_used_at at minute granularity: one write per key per minute at most.
    if (now - result.info.last_used_at >= 60) {
      db_.with_connection([&](sqlite3* db) {
        Statement s(db, "UPDATE api_keys SET last_used_at = ? WHERE id = ?");
        s.bind(1, now).bind(2, id);
        s.step();
      });
    }
  }
  return result;
}

int64_t parse_ttl(const std::string& text) {
  const std::string help =
      "invalid --ttl '" + text + "': use a number with a unit, e.g. 30d, 12h, 90m, 3600s, or 'never'";
  if (text == "never" || text == "0") return 0;
  if (text.empty()) throw std::invalid_argument(help);
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) throw std::invalid_argument(help);
  int64_t value = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  int64_t scale;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  else if (unit == "w") scale = 7 * 86400;
  else throw std::invalid_argument(help);
  if (value == 0) throw std::invalid_argument(help);
  return value * scale;
}

}  // namespace foley::server
