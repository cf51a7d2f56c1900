#include "foley/studio/passwords.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace foley::studio {

namespace {
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kMinPassword = 8;
// Argon2 accepts long inputs, but a megabyte "password" is only a way to burn CPU.
constexpr std::size_t kMaxPassword = 1024;
}  // namespace

std::string hash_password(const std::string& password, const PasswordCost& cost) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("no secure randomness for a salt");
  const std::size_t encoded_length =
      argon2_encodedlen(cost.passes, cost.memory_kib, cost.lanes, kSaltBytes, kHashBytes, Argon2_id);
  std::vector<char> encoded(encoded_length);
  const int rc = argon2id_hash_encoded(cost.passes, cost.memory_kib, cost.lanes, password.data(),
                                       password.size(), salt, kSaltBytes, kHashBytes,
                                       encoded.data(), encoded.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
  return std::string(encoded.data());
}

bool verify_password(const std::string& password, const std::string& encoded_hash) {
  if (encoded_hash.rfind("$argon2id$", 0) != 0 || password.size() > kMaxPassword) return false;
  return argon2id_verify(encoded_hash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string check_username(const std::string& name) {
  if (name.size() < 3 || name.size() > 32) {
    return "username must be 3 to 32 characters long";
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    if (!ok) return "username may only contain letters, digits, '.', '-' and '_'";
  }
  return {};
}

std::string check_password(const std::string& password) {
  if (password.size() < kMinPassword) return "password must be at least 8 characters long";
  if (password.size() > kMaxPassword) return "password must be at most 1024 characters long";
  return {};
}

}  // namespace foley::studio
