// Studio accounts in the server's database: username + Argon2id password hash, and an
// administrator flag (the first administrator comes from `foley users create-admin`).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "foley/server/database.h"

namespace foley::studio {

struct User {
  int64_t id = 0;
  std::string name;
  bool is_admin = false;
  int64_t created_at = 0;
};

// The username is taken (names are unique without regard to case).
class UserExistsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UserStore {
 public:
  explicit UserStore(server::Database& db) : db_(db) {}

  // Validates name and password (std::invalid_argument with the rule), hashes the password,
  // inserts. Throws UserExistsError when the name is taken.
  User create(const std::string& name, const std::string& password, bool is_admin);
  // The user when name and password match; std::nullopt otherwise. Takes the same time for
  // an unknown name as for a wrong password, so it does not reveal which names exist.
  std::optional<User> authenticate(const std::string& name, const std::string& password);
  std::optional<User> find(int64_t id);
  std::vector<User> list();

 private:
  server::Database& db_;
};

}  // namespace foley::studio
