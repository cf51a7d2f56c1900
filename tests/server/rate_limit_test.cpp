// 429 RATE_LIMITED: sliding 60 s window per key, 10 requests by default.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <regex>

#include "foley/server/rate_limiter.h"
#include "test_server.h"

namespace foley::server::testing {
namespace {

TEST(RateLimit, BurstOf15GivesExactly10SuccessesAndRetryAfter) {
  TestServer server;
  auto started = std::chrono::steady_clock::now();
  std::vector<std::future<httplib::Result>> burst;
  for (int i = 0; i < 15; ++i) {
    burst.push_back(std::async(std::launch::async, [&server, i] {
      return server.generate(R"({"args":{"prompt":"footsteps on gravel","duration":0.5,"seed":)" +
                             std::to_string(i) + "}}");
    }));
  }
  int ok = 0, limited = 0;
  for (auto& f : burst) {
    auto res = f.get();
    ASSERT_TRUE(res) << "a request got no answer: " << httplib::to_string(res.error());
    if (res->status == 200) {
      ++ok;
    } else {
      ASSERT_EQ(res->status, 429) << res->body;
      ++limited;
      auto body = nlohmann::json::parse(res->body);
      EXPECT_EQ(body["code"], "RATE_LIMITED");
      EXPECT_EQ(body["request_id"], res->get_header_value("X-Request-Id"));
      int retry_after = std::stoi(res->get_header_value("Retry-After"));
      int elapsed = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::steady_clock::now() - started).count());
      // Whole seconds until the oldest of the 10 leaves the 60 s window.
      EXPECT_GE(retry_after, 60 - elapsed - 1);
      EXPECT_LE(retry_after, 60);
      EXPECT_EQ(res->get_header_value("RateLimit-Policy"), "\"default\";q=10;w=60");
      EXPECT_TRUE(std::regex_match(res->get_header_value("RateLimit"),
                                   std::regex("\"default\";r=0;t=\\d+")));
    }
  }
  EXPECT_EQ(ok, 10);
  EXPECT_EQ(limited, 5);
  // Another key has its own window.
  auto other = server.app().keys().create("other", 3600);
  auto res = server.generate_with_key(other.key, R"({"args":{"prompt":"x","duration":0.5}})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(RateLimit, LimitAndWindowAreConfigurable) {
  TestServer server({.configure = [](ServerConfig& c) {
    c.rate_limit_requests = 2;
    c.rate_limit_window_s = 2;
  }});
  const std::string cheap = R"({"args":{"prompt":"x","cfg":11}})";  // 422, still counts
  EXPECT_EQ(server.generate(cheap)->status, 422);
  EXPECT_EQ(server.generate(cheap)->status, 422);
  auto limited = server.generate(cheap);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->get_header_value("RateLimit-Policy"), "\"default\";q=2;w=2");
  int retry_after = std::stoi(limited->get_header_value("Retry-After"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 2);
  std::this_thread::sleep_for(std::chrono::seconds(retry_after));
  EXPECT_EQ(server.generate(cheap)->status, 422);
}

TEST(RateLimiterUnit, SlidingWindowNotFixedBuckets) {
  RateLimiter limiter(3, std::chrono::seconds(60));
  auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  using std::chrono::seconds;
  EXPECT_TRUE(limiter.check("k", t0).allowed);
  EXPECT_TRUE(limiter.check("k", t0 + seconds(20)).allowed);
  auto third = limiter.check("k", t0 + seconds(40));
  EXPECT_TRUE(third.allowed);
  EXPECT_EQ(third.remaining, 0);
  EXPECT_EQ(third.reset_seconds, 20);
  auto denied = limiter.check("k", t0 + seconds(59));
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after, 1);
  EXPECT_TRUE(limiter.check("k", t0 + seconds(60)).allowed);   // the first left the window
  EXPECT_FALSE(limiter.check("k", t0 + seconds(61)).allowed);  // 20, 40, 60 still inside
  EXPECT_TRUE(limiter.check("other", t0 + seconds(61)).allowed);
}

}  // namespace
}  // namespace foley::server::testing
