// Password hashing for studio accounts: Argon2id (memory-hard) from libargon2, stored in the
// self-describing PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash) so the
// cost can be raised later without breaking existing hashes.
#pragma once

#include <string>

namespace foley::studio {

// Cost: 19 MiB, 2 passes, 1 lane (OWASP's Argon2id baseline); about 50 ms on one core.
struct PasswordCost {
  unsigned memory_kib = 19 * 1024;
  unsigned passes = 2;
  unsigned lanes = 1;
};

// Throws std::runtime_error only when the library fails (out of memory).
std::string hash_password(const std::string& password, const PasswordCost& cost = {});
// False for a wrong password or a malformed stored hash; never throws.
bool verify_password(const std::string& password, const std::string& encoded_hash);

// The rules the sign-up form states; each returns an empty string when fine, otherwise a
// sentence naming the field and the rule.
std::string check_username(const std::string& name);
std::string check_password(const std::string& password);

}  // namespace foley::studio
