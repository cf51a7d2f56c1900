// The web studio's C++ parts on their own: password hashing, account rules, login
// throttling, the clip cache, crash-safe files and Plaza storage with its startup cleanup.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "foley/server/database.h"
#include "foley/studio/atomic_file.h"
#include "foley/studio/clip_cache.h"
#include "foley/studio/login_throttle.h"
#include "foley/studio/passwords.h"
#include "foley/studio/plaza_store.h"
#include "foley/studio/sessions.h"
#include "foley/studio/studio.h"
#include "foley/studio/users.h"

namespace fs = std::filesystem;
using namespace foley::studio;

namespace {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("foley-studio-test-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST(Passwords, Argon2idRoundTripAndWrongPassword) {
  const std::string hash = hash_password("correct horse battery");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_TRUE(verify_password("correct horse battery", hash));
  EXPECT_FALSE(verify_password("correct horse batterY", hash));
  EXPECT_FALSE(verify_password("anything", "not a hash"));
  EXPECT_NE(hash_password("same"), hash_password("same")) << "salted";
}

TEST(Passwords, RulesNameTheField) {
  EXPECT_EQ(check_username("alice_01"), "");
  EXPECT_NE(check_username("al").find("username"), std::string::npos);
  EXPECT_NE(check_username("alice smith").find("username"), std::string::npos);
  EXPECT_NE(check_username("ålice").find("username"), std::string::npos);
  EXPECT_NE(check_password("short").find("password"), std::string::npos);
  EXPECT_EQ(check_password("long enough"), "");
  EXPECT_NE(check_password(std::string(2000, 'x')).find("password"), std::string::npos);
}

TEST(LoginThrottle, LocksANameAfterFiveFailuresUntilTheWindowPasses) {
  LoginThrottle throttle;
  const auto t0 = LoginThrottle::Clock::now();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(throttle.retry_after("Bob", "10.0.0.1", t0), 0);
    throttle.record_failure("bob", "10.0.0.1", t0);
  }
  const int wait = throttle.retry_after("BOB", "10.0.0.2", t0 + std::chrono::seconds(1));
  EXPECT_GT(wait, 800);
  EXPECT_LE(wait, 900);
  EXPECT_EQ(throttle.retry_after("carol", "10.0.0.2", t0), 0) << "other names are not affected";
  EXPECT_EQ(throttle.retry_after("bob", "10.0.0.2", t0 + std::chrono::minutes(16)), 0);
}

TEST(LoginThrottle, LimitsOneAddressSprayingManyNames) {
  LoginThrottle throttle;
  const auto t0 = LoginThrottle::Clock::now();
  for (int i = 0; i < 20; ++i) throttle.record_failure("user" + std::to_string(i), "10.0.0.9", t0);
  EXPECT_GT(throttle.retry_after("fresh-name", "10.0.0.9", t0), 0);
  EXPECT_EQ(throttle.retry_after("fresh-name", "10.0.0.8", t0), 0);
}

TEST(LoginThrottle, SuccessClearsTheNamesFailures) {
  LoginThrottle throttle;
  const auto t0 = LoginThrottle::Clock::now();
  for (int i = 0; i < 4; ++i) throttle.record_failure("dana", "10.0.0.1", t0);
  throttle.record_success("dana");
  throttle.record_failure("dana", "10.0.0.1", t0);
  EXPECT_EQ(throttle.retry_after("dana", "10.0.0.3", t0), 0);
}

TEST(ClipCache, PrivateToItsOwnerAndBounded) {
  ClipCache cache(2, std::chrono::hours(1));
  CachedClip clip;
  clip.user_id = 7;
  const std::string a = cache.put(clip);
  EXPECT_NE(cache.get(a, 7), nullptr);
  EXPECT_EQ(cache.get(a, 8), nullptr);
  cache.put(clip);
  cache.put(clip);
  EXPECT_EQ(cache.get(a, 7), nullptr) << "the oldest clip is evicted past capacity";
}

TEST(AtomicFile, WritesWholeFilesAndLeavesNoTemporaries) {
  TempDir dir;
  const fs::path target = dir.path() / "clip.flac";
  write_file_atomically(target, "first");
  write_file_atomically(target, "second version");
  EXPECT_EQ(read_all(target), "second version");
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
  EXPECT_THROW(write_file_atomically(dir.path() / "missing-dir" / "x.flac", "x"), std::runtime_error);
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { db = foley::server::Database::open(dir.path() / "foley.db"); }
  TempDir dir;
  std::unique_ptr<foley::server::Database> db;
};

TEST_F(StoreTest, UsersAreUniqueWithoutRegardToCase) {
  UserStore users(*db);
  const User alice = users.create("Alice", "password one", false);
  EXPECT_THROW(users.create("alice", "password two", false), UserExistsError);
  EXPECT_THROW(users.create("x", "password two", false), std::invalid_argument);
  EXPECT_TRUE(users.authenticate("alice", "password one").has_value());
  EXPECT_FALSE(users.authenticate("alice", "password two").has_value());
  EXPECT_FALSE(users.authenticate("nobody", "password one").has_value());
  EXPECT_EQ(users.find(alice.id)->name, "Alice");
}

TEST_F(StoreTest, SessionsStoreOnlyAHashAndEnd) {
  UserStore users(*db);
  SessionStore sessions(*db);
  const User user = users.create("erin", "password one", true);
  const NewSession created = sessions.create(user);
  auto found = sessions.find(created.token);
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->user.is_admin);
  EXPECT_EQ(found->csrf_token, created.session.csrf_token);
  EXPECT_NE(found->token_hash, created.token);
  EXPECT_FALSE(sessions.find(created.token + "x").has_value());
  sessions.destroy(created.token);
  EXPECT_FALSE(sessions.find(created.token).has_value());
}

TEST_F(StoreTest, PlazaSharesPagesSortsCountsAndDeletes) {
  UserStore users(*db);
  const User owner = users.create("frank", "password one", false);
  const User other = users.create("grace", "password one", false);
  const User admin = users.create("root", "password one", true);
  PlazaStore plaza(*db, dir.path() / "plaza");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    PlazaClip clip;
    clip.user_id = owner.id;
    clip.prompt = "clip " + std::to_string(i);
    clip.seed = i;
    clip.duration = 1.0;
    ids.push_back(plaza.share(clip, "fLaC" + std::to_string(i)).id);
    EXPECT_TRUE(PlazaStore::valid_id(ids.back()));
  }
  auto first_page = plaza.list(PlazaSort::kNewest, 1, 2);
  EXPECT_EQ(first_page.total, 5);
  ASSERT_EQ(first_page.items.size(), 2u);
  EXPECT_EQ(first_page.items[0].id, ids[4]) << "newest first";
  EXPECT_EQ(plaza.list(PlazaSort::kNewest, 3, 2).items.size(), 1u);
  EXPECT_EQ(plaza.count_play(ids[1]).value(), 1);
  EXPECT_EQ(plaza.count_play(ids[1]).value(), 2);
  EXPECT_FALSE(plaza.count_play("0000000000000000").has_value());
  EXPECT_EQ(plaza.list(PlazaSort::kMostPlayed, 1, 1).items[0].id, ids[1]);
  EXPECT_EQ(read_all(plaza.audio_path(ids[2])), "fLaC2");

  EXPECT_EQ(plaza.remove(ids[0], other), PlazaStore::RemoveResult::kForbidden);
  EXPECT_EQ(plaza.remove(ids[0], owner), PlazaStore::RemoveResult::kRemoved);
  EXPECT_EQ(plaza.remove(ids[1], admin), PlazaStore::RemoveResult::kRemoved);
  EXPECT_EQ(plaza.remove(ids[1], admin), PlazaStore::RemoveResult::kNotFound);
  EXPECT_FALSE(fs::exists(plaza.audio_path(ids[0])));
  EXPECT_FALSE(plaza.find("../../etc/passwd").has_value());
}

TEST_F(StoreTest, StartupCleanupRemovesWhatACrashLeaves) {
  UserStore users(*db);
  const User owner = users.create("heidi", "password one", false);
  PlazaStore plaza(*db, dir.path() / "plaza");
  PlazaClip clip;
  clip.user_id = owner.id;
  clip.prompt = "kept";
  const std::string kept = plaza.share(clip, "fLaC kept").id;
  const std::string vanished = plaza.share(clip, "fLaC gone").id;
  // A crash between the file and the row, a crash mid-write, and a file removed by hand.
  std::ofstream(dir.path() / "plaza" / "abcdefabcdefabcd.flac") << "orphan";
  std::ofstream(dir.path() / "plaza" / ".abcdefabcdefabcd.flac.123456.tmp") << "partial";
  std::ofstream(dir.path() / "plaza" / "README.txt") << "not ours";
  fs::remove(plaza.audio_path(vanished));

  const CleanupReport report = plaza.cleanup_orphans();
  EXPECT_EQ(report.orphan_files_removed, 1);
  EXPECT_EQ(report.temporaries_removed, 1);
  EXPECT_EQ(report.rows_without_audio_removed, 1);
  EXPECT_TRUE(plaza.find(kept).has_value());
  EXPECT_FALSE(plaza.find(vanished).has_value());
  EXPECT_TRUE(fs::exists(dir.path() / "plaza" / "README.txt"));
  EXPECT_EQ(plaza.list(PlazaSort::kNewest, 1, 10).total, 1);
}

TEST(Cookies, ValuesAreFoundAmongOthers) {
  httplib::Request req;
  req.headers.emplace("Cookie", "theme=dark; foley_session=abc123; foley_csrf=xyz");
  EXPECT_EQ(cookie_value(req, "foley_session"), "abc123");
  EXPECT_EQ(cookie_value(req, "foley_csrf"), "xyz");
  EXPECT_EQ(cookie_value(req, "foley"), "");
  EXPECT_EQ(session_cookie("t", 60), "foley_session=t; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
  EXPECT_EQ(csrf_cookie("c", true), "foley_csrf=c; Path=/; HttpOnly; SameSite=Strict; Secure");
  httplib::Request proxied;
  proxied.headers.emplace("X-Forwarded-Proto", "https");
  EXPECT_TRUE(arrived_over_https(proxied));
  EXPECT_FALSE(arrived_over_https(req));
}
