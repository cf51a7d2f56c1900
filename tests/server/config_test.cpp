// Configuration: flags > FOLEY_* environment > config file > defaults; clear errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "foley/server/config.h"
#include "foley/server/router.h"
#include "../../server/src/generate_request.h"

namespace foley::server::testing {
namespace {

TEST(Config, FlagsOverrideEnvOverrideFile) {
  auto file = std::filesystem::temp_directory_path() / ("foley-config-" + std::to_string(getpid()));
  std::ofstream(file) << "# comment\nport = 9000\nrate-limit = 5\nqueue-capacity = 3\nmodel = /m/file\n";
  std::map<std::string, std::string> env = {{"FOLEY_CONFIG", file.string()},
                                            {"FOLEY_RATE_LIMIT", "7"},
                                            {"FOLEY_DATA_DIR", "/tmp/d"}};
  auto getenv_fn = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto config = parse_server_config({"--rate-limit", "9", "--max-batch-clips=2"}, getenv_fn);
  EXPECT_EQ(config.port, 9000);               // file
  EXPECT_EQ(config.queue_capacity_clips, 3);  // file
  EXPECT_EQ(config.rate_limit_requests, 9);   // flag beats env and file
  EXPECT_EQ(config.max_batch_clips, 2);
  EXPECT_EQ(config.data_dir, "/tmp/d");       // env
  EXPECT_EQ(config.models, std::vector<std::string>{"/m/file"});
  env["FOLEY_MODEL"] = "/m/env";
  EXPECT_EQ(parse_server_config({}, getenv_fn).models, std::vector<std::string>{"/m/env"});
  EXPECT_EQ(parse_server_config({"--model", "/m/flag"}, getenv_fn).models,
            std::vector<std::string>{"/m/flag"});
  std::filesystem::remove(file);
}

TEST(Config, ErrorsNameTheOption) {
  auto no_env = [](const char*) -> const char* { return nullptr; };
  auto message = [&](std::vector<std::string> args) {
    try {
      args.insert(args.begin(), {"--model", "/m"});
      parse_server_config(args, no_env);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({"--port", "http"}).find("--port"), std::string::npos);
  EXPECT_NE(message({"--port", "70000"}).find("65535"), std::string::npos);
  EXPECT_NE(message({"--frobnicate", "1"}).find("unknown option --frobnicate"), std::string::npos);
  EXPECT_NE(message({"--queue-capacity"}).find("needs a value"), std::string::npos);
  bool help = false;
  parse_server_config({"--help"}, no_env, &help);
  EXPECT_TRUE(help);
  EXPECT_NE(server_config_help().find("FOLEY_QUEUE_CAPACITY"), std::string::npos);
}

TEST(Config, MissingDefaultModelIsAClearError) {
  auto cwd = std::filesystem::current_path();
  auto empty = std::filesystem::temp_directory_path() / ("foley-cwd-" + std::to_string(getpid()));
  std::filesystem::create_directories(empty);
  std::filesystem::current_path(empty);
  auto no_env = [](const char*) -> const char* { return nullptr; };
  if (!std::filesystem::exists(std::string(FOLEY_SOURCE_DIR) + "/models/foley-mini")) {
    try {
      parse_server_config({}, no_env);
      ADD_FAILURE() << "expected an error";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("--model"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("FOLEY_MODEL"), std::string::npos);
    }
  }
  std::filesystem::current_path(cwd);
  std::filesystem::remove_all(empty);
}

TEST(RouterUnit, ExactNamedPrefixAnd405) {
  Router router;
  auto noop = [](const httplib::Request&, httplib::Response&, RequestContext&) {};
  router.add("GET", "/a", noop);
  router.add("POST", "/a", noop);
  router.add("GET", "/clips/:id", noop);
  router.add("GET", "/*", noop);
  router.add("GET", "/static/*", noop);
  EXPECT_EQ(router.match("GET", "/a").route->pattern, "/a");
  EXPECT_EQ(router.match("HEAD", "/a").route->method, "GET");
  auto m = router.match("DELETE", "/a");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"GET", "POST"}));
  auto clip = router.match("GET", "/clips/42");
  EXPECT_EQ(clip.params["id"], "42");
  EXPECT_EQ(router.match("GET", "/static/x.css").route->pattern, "/static/*");
  EXPECT_EQ(router.match("GET", "/other").route->pattern, "/*");
  auto post_unknown = router.match("POST", "/other");
  EXPECT_EQ(post_unknown.route, nullptr);
  EXPECT_TRUE(post_unknown.allowed_methods.empty()) << "unknown POST is 404, not 405";
}

TEST(Negotiation, AcceptHeader) {
  EXPECT_EQ(negotiate_format(""), AudioFormat::kWav);
  EXPECT_EQ(negotiate_format("audio/flac"), AudioFormat::kFlac);
  EXPECT_EQ(negotiate_format("audio/*;q=0.5, audio/flac"), AudioFormat::kFlac);
  EXPECT_EQ(negotiate_format("audio/flac;q=0.5, audio/*"), AudioFormat::kWav);
  EXPECT_EQ(negotiate_format("audio/wav, audio/flac"), AudioFormat::kWav);
  EXPECT_EQ(negotiate_format("AUDIO/FLAC;Q=1, audio/wav;q=0.9"), AudioFormat::kFlac);
  EXPECT_EQ(negotiate_format("application/json"), AudioFormat::kWav);
}

TEST(Utf8, ValidationAndBlankPrompts) {
  EXPECT_TRUE(is_valid_utf8("雷声 door"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xe9\x9b"));          // truncated
  EXPECT_TRUE(is_blank(" \t\r\n"));
  EXPECT_TRUE(is_blank("\xe3\x80\x80"));            // ideographic space
  EXPECT_FALSE(is_blank(" a "));
}

}  // namespace
}  // namespace foley::server::testing
