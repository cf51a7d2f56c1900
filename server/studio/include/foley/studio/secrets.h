// Small helpers for secrets: random tokens, SHA-256, constant-time comparison, clock.
#pragma once

#include <cstdint>
#include <string>

namespace foley::studio {

// `bytes` random bytes from OpenSSL, base64url without padding (cookie- and URL-safe).
std::string random_token(std::size_t bytes = 32);
// Lower-case hex of `bytes` random bytes (ids that appear in URLs and file names).
std::string random_hex(std::size_t bytes);
std::string sha256_hex(const std::string& text);
bool constant_time_equal(const std::string& a, const std::string& b);
int64_t unix_now();

}  // namespace foley::studio
