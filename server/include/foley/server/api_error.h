// ApiError: the one way a handler reports a failure. The dispatcher turns it into the
// contract's error body {"code", "message", "request_id"} with the given status and headers,
// so no handler ever writes an error response by hand (and none can forget request_id).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace foley::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}

  int status() const { return status_; }
  const std::string& code() const { return code_; }
  // Extra response headers (Allow, Retry-After, ...).
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  ApiError& with_header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }

  // The contract's codes, one constructor each so call sites read like the table in api.md.
  static ApiError bad_request(const std::string& m) { return {400, "BAD_REQUEST", m}; }
  static ApiError unauthorized(const std::string& m) { return {401, "UNAUTHORIZED", m}; }
  static ApiError not_found(const std::string& m) { return {404, "NOT_FOUND", m}; }
  static ApiError payload_too_large(const std::string& m) { return {413, "PAYLOAD_TOO_LARGE", m}; }
  static ApiError unsupported_media_type(const std::string& m) {
    return {415, "UNSUPPORTED_MEDIA_TYPE", m};
  }
  static ApiError validation(const std::string& m) { return {422, "VALIDATION_ERROR", m}; }
  static ApiError internal(const std::string& m) { return {500, "INTERNAL", m}; }

 private:
  int status_;
  std::string code_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace foley::server
