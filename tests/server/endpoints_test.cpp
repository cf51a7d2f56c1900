// GET endpoints: health, readiness, metrics, models, embedded documents, static files.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <future>

#include "test_server.h"

namespace foley::server::testing {
namespace {

using nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Endpoints, HealthzAndReadyzBeforeAndAfterModelLoad) {
  TestServer server({.load_model = false});
  auto c = server.client();
  auto health = c->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");
  EXPECT_TRUE(health->has_header("X-Request-Id"));
  auto not_ready = c->Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  auto body = json::parse(not_ready->body);
  EXPECT_EQ(body.size(), 3u);
  EXPECT_EQ(body["request_id"], not_ready->get_header_value("X-Request-Id"));
  // Generating before a model is loaded: 503 with Retry-After, never a hang.
  auto early = server.generate(R"({"args":{"prompt":"x","duration":0.5}})");
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 503);
  EXPECT_TRUE(early->has_header("Retry-After"));
  server.load_model();
  auto ready = c->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(json::parse(ready->body)["status"], "ready");
}

TEST(Endpoints, ModelsListsTheLoadedModel) {
  TestServer server;
  auto res = server.client()->Get("/v1/models");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto models = json::parse(res->body)["models"];
  ASSERT_EQ(models.size(), 1u);
  EXPECT_TRUE(models[0]["id"].is_string());
  EXPECT_EQ(models[0]["sample_rate"], 48000);
  EXPECT_EQ(models[0]["channels"], 2);
  EXPECT_NEAR(models[0]["max_duration"].get<double>(), 32768.0 / 44100.0, 1e-9);
  EXPECT_EQ(models[0]["default_steps"], 8);
}

TEST(Endpoints, MetricsArePrometheusText) {
  TestServer server;
  ASSERT_EQ(server.generate(R"({"args":{"prompt":"x","duration":0.5,"seed":1}})")->status, 200);
  ASSERT_EQ(server.generate(R"({"args":{"prompt":"x","cfg":11}})")->status, 422);
  auto res = server.client()->Get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type").rfind("text/plain", 0), 0u);
  const std::string& m = res->body;
  for (const char* needle :
       {"# TYPE foley_http_requests_total counter",
        "foley_http_requests_total{path=\"/v1/audio/sound_effect_generate\",status=\"200\"} 1",
        "foley_http_requests_total{path=\"/v1/audio/sound_effect_generate\",status=\"422\"} 1",
        "# TYPE foley_queue_depth_clips gauge", "foley_queue_depth_clips 0",
        "# TYPE foley_generation_latency_seconds histogram",
        "foley_generation_latency_seconds_bucket{le=\"+Inf\"} 1",
        "foley_generation_latency_seconds_count 1", "foley_clips_generated_total 1",
        "foley_audio_seconds_generated_total 0.5"}) {
    EXPECT_NE(m.find(needle), std::string::npos) << "missing: " << needle << "\n" << m;
  }
}

TEST(Endpoints, OpenApiAndIntegrationPromptAreTheEmbeddedFiles) {
  TestServer server;
  auto c = server.client();
  auto openapi = c->Get("/openapi.json");
  ASSERT_TRUE(openapi);
  EXPECT_EQ(openapi->status, 200);
  EXPECT_EQ(openapi->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(openapi->body, read_file(std::string(FOLEY_SOURCE_DIR) + "/api/openapi.json"));
  EXPECT_EQ(json::parse(openapi->body)["openapi"].get<std::string>().rfind("3.1", 0), 0u);
  auto prompt = c->Get("/v1/integration-prompt");
  ASSERT_TRUE(prompt);
  EXPECT_EQ(prompt->status, 200);
  EXPECT_EQ(prompt->get_header_value("Content-Type").rfind("text/markdown", 0), 0u);
  EXPECT_EQ(prompt->body, read_file(std::string(FOLEY_SOURCE_DIR) + "/docs/integration-prompt.md"));
}

TEST(Endpoints, HealthzAnswersWhileTheEngineIsBusy) {
  TestServer server({.configure = [](ServerConfig& c) {
    c.queue_capacity_clips = 4;
    c.max_batch_clips = 1;
  }});
  std::vector<std::future<httplib::Result>> busy;
  for (int i = 0; i < 4; ++i) {
    busy.push_back(std::async(std::launch::async, [&server, i] {
      return server.generate(R"({"args":{"prompt":"x","duration":0.74,"steps":30,"seed":)" +
                             std::to_string(i) + "}}");
    }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto started = std::chrono::steady_clock::now();
  auto health = server.client()->Get("/healthz");
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_LT(ms, 500) << "/healthz must not wait for generation";
  for (auto& f : busy) f.get();
}

class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("foley-static-" + std::to_string(getpid()));
    std::filesystem::create_directories(root_ / "site/css");
    std::ofstream(root_ / "site/index.html") << "<h1>studio</h1>";
    std::ofstream(root_ / "site/css/app.css") << "body{}";
    std::ofstream(root_ / "secret.txt") << "outside the web root";
    std::filesystem::create_symlink(root_ / "secret.txt", root_ / "site/link.txt");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_;
};

TEST_F(StaticFiles, ServesFilesConfinedToTheRoot) {
  TestServer server;
  server.app().serve_static("/static-test", root_ / "site");
  auto c = server.client();
  auto index = c->Get("/static-test/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->body, "<h1>studio</h1>");
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  auto css = c->Get("/static-test/css/app.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->get_header_value("Content-Type"), "text/css; charset=utf-8");
  for (const std::string attack :
       {"/static-test/../secret.txt", "/static-test/%2e%2e/secret.txt", "/static-test/css/../../secret.txt",
        "/static-test/link.txt", "/static-test/%2e%2e%2fsecret.txt", "/static-test/nope.html"}) {
    std::string response = raw_exchange(server.port(), "GET " + attack + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(response.find("outside the web root"), std::string::npos) << attack;
    EXPECT_EQ(response.rfind("HTTP/1.1 404", 0), 0u) << attack << "\n" << response.substr(0, 120);
  }
}

}  // namespace
}  // namespace foley::server::testing
