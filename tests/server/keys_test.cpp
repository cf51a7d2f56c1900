// API keys: >= 128-bit random, stored only as a hash, expiry, revocation; `foley keys`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "foley/server/api_keys.h"
#include "foley/server/database.h"

namespace foley::server::testing {
namespace {

namespace fs = std::filesystem;

class Keys : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("foley-keys-test-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    db_ = Database::open(dir_ / "foley.db");
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }
  fs::path dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(Keys, KeysAreLongRandomAndStoredOnlyAsHash) {
  ApiKeyStore store(*db_);
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto created = store.create("k" + std::to_string(i), 3600);
    // fk_ + 12 hex id + _ + 43 base64url chars (256 bits).
    EXPECT_EQ(created.key.size(), 3u + 12 + 1 + 43);
    EXPECT_TRUE(seen.insert(created.key).second);
    EXPECT_EQ(store.verify(created.key).verdict, ApiKeyStore::Verdict::kValid);
  }
  db_.reset();  // flush WAL into the file
  std::ifstream in(dir_ / "foley.db", std::ios::binary);
  std::string file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  for (const auto& key : seen) {
    std::string secret = key.substr(16);
    EXPECT_EQ(file.find(secret), std::string::npos) << "secret stored in clear";
  }
}

TEST_F(Keys, RevokeAndExpiry) {
  ApiKeyStore store(*db_);
  auto a = store.create("a", 3600);
  EXPECT_TRUE(store.revoke(a.info.id));
  EXPECT_FALSE(store.revoke(a.info.id));
  EXPECT_EQ(store.verify(a.key).verdict, ApiKeyStore::Verdict::kRevoked);
  auto never = store.create("never", 0);
  EXPECT_EQ(store.verify(never.key).verdict, ApiKeyStore::Verdict::kValid);
  EXPECT_EQ(store.verify("fk_zzzzzzzzzzzz_abc").verdict, ApiKeyStore::Verdict::kMalformed);
  EXPECT_EQ(store.verify("").verdict, ApiKeyStore::Verdict::kMalformed);
  EXPECT_EQ(store.verify(never.key + "x").verdict, ApiKeyStore::Verdict::kUnknown);
  auto list = store.list();
  ASSERT_EQ(list.size(), 2u);
  for (const auto& info : list) {
    EXPECT_EQ(info.revoked_at != 0, info.id == a.info.id) << info.name;
    EXPECT_EQ(info.expires_at == 0, info.id == never.info.id) << info.name;
  }
}

TEST_F(Keys, TtlParsing) {
  EXPECT_EQ(parse_ttl("30d"), 30 * 86400);
  EXPECT_EQ(parse_ttl("12h"), 12 * 3600);
  EXPECT_EQ(parse_ttl("90m"), 90 * 60);
  EXPECT_EQ(parse_ttl("3600"), 3600);
  EXPECT_EQ(parse_ttl("never"), 0);
  EXPECT_THROW(parse_ttl("soon"), std::invalid_argument);
  EXPECT_THROW(parse_ttl("-5d"), std::invalid_argument);
  EXPECT_THROW(parse_ttl("5y"), std::invalid_argument);
}

TEST_F(Keys, MigrationsAreRecordedOnce) {
  auto applied = db_->applied_migrations();
  ASSERT_FALSE(applied.empty());
  EXPECT_EQ(applied.front(), 1);
  db_.reset();
  db_ = Database::open(dir_ / "foley.db");  // reopening applies nothing twice
  EXPECT_EQ(db_->applied_migrations(), applied);
}

std::string run(const std::string& command, int* status) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[512];
  while (pipe && fgets(buffer, sizeof buffer, pipe)) output += buffer;
  *status = pipe ? pclose(pipe) : -1;
  return output;
}

TEST_F(Keys, CliCreateListRevoke) {
  db_.reset();
  const std::string cli = std::string(FOLEY_CLI_PATH) + " keys ";
  const std::string dir = " --data-dir " + dir_.string();
  int status = 0;
  std::string created = run(cli + "create --name ci-test --ttl 30d" + dir, &status);
  ASSERT_EQ(status, 0) << created;
  auto key_at = created.find("fk_");
  ASSERT_NE(key_at, std::string::npos) << created;
  std::string key = created.substr(key_at, 59);
  std::string id = key.substr(3, 12);
  std::string listed = run(cli + "list" + dir, &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(listed.find(id), std::string::npos);
  EXPECT_NE(listed.find("ci-test"), std::string::npos);
  EXPECT_NE(listed.find("active"), std::string::npos);
  EXPECT_EQ(listed.find(key.substr(16)), std::string::npos) << "list must never show the secret";
  std::string revoked = run(cli + "revoke " + id + dir, &status);
  EXPECT_EQ(status, 0) << revoked;
  EXPECT_NE(run(cli + "list" + dir, &status).find("revoked"), std::string::npos);
  run(cli + "revoke " + id + dir, &status);
  EXPECT_NE(status, 0) << "revoking twice reports an error";
  std::string bad = run(cli + "create --name x --ttl forever" + dir, &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(bad.find("--ttl"), std::string::npos) << bad;
}

}  // namespace
}  // namespace foley::server::testing
