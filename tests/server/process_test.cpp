// The `foley serve` process itself: startup, serving, SIGTERM with work in flight, exit code;
// and faults of ours becoming 500 INTERNAL while the server keeps serving.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <future>
#include <regex>
#include <thread>

#include "foley/server/api_keys.h"
#include "foley/server/database.h"
#include "test_server.h"

namespace foley::server::testing {
namespace {

TEST(Process, ServeAnswersThenStopsGracefullyOnSigterm) {
  auto data_dir = std::filesystem::temp_directory_path() / ("foley-process-" + std::to_string(getpid()));
  std::filesystem::create_directories(data_dir);
  std::string key;
  {
    auto db = Database::open(data_dir / "foley.db");
    key = ApiKeyStore(*db).create("process", 3600).key;
  }
  const std::string model = tiny_model_dir().string();  // before fork: the child only execs
  int err_pipe[2];
  ASSERT_EQ(pipe(err_pipe), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(err_pipe[1], 2);
    close(err_pipe[0]);
    execl(FOLEY_CLI_PATH, "foley", "serve", "--model", model.c_str(), "--port", "0",
          "--data-dir", data_dir.c_str(), "--threads", "1", nullptr);
    _exit(127);
  }
  close(err_pipe[1]);
  FILE* err = fdopen(err_pipe[0], "r");
  // The first line says where it listens.
  char line[1024] = {};
  ASSERT_NE(fgets(line, sizeof line, err), nullptr);
  std::cmatch m;
  ASSERT_TRUE(std::regex_search(line, m, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)"))) << line;
  int port = std::stoi(m[1]);
  std::thread drain_stderr([err] {
    char buffer[1024];
    while (fgets(buffer, sizeof buffer, err)) {
    }
    fclose(err);
  });
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    auto res = client.Get("/readyz");
    ready = res && res->status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(ready);
  // Work in flight when SIGTERM arrives still gets its audio.
  auto inflight = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60, 0);
    return c.Post("/v1/audio/sound_effect_generate", {{"Authorization", "Bearer " + key}},
                  R"({"args":{"prompt":"thunder","duration":0.5,"steps":30}})", "application/json");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  kill(pid, SIGTERM);
  auto res = inflight.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << "killed by a signal instead of exiting";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  drain_stderr.join();
  std::filesystem::remove_all(data_dir);
}

TEST(Process, MissingModelIsAClearErrorAndExitCode1) {
  std::string command = std::string(FOLEY_CLI_PATH) + " serve --model /nonexistent/model --port 0 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe)) output += buffer;
  int status = pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(output.find("/nonexistent/model"), std::string::npos) << output;
  EXPECT_NE(output.find("--model"), std::string::npos) << output;
}

TEST(Process, FaultInAHandlerIs500InternalAndServingContinues) {
  TestServer server;
  server.app().router().add("GET", "/test/fault", [](const httplib::Request&, httplib::Response&,
                                                     RequestContext&) {
    throw std::runtime_error("simulated fault");
  });
  auto res = server.client()->Get("/test/fault");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["code"], "INTERNAL");
  EXPECT_EQ(body["request_id"], res->get_header_value("X-Request-Id"));
  EXPECT_EQ(body["message"].get<std::string>().find("simulated"), std::string::npos)
      << "internal details stay in the log";
  EXPECT_EQ(server.client()->Get("/healthz")->status, 200);
}

TEST(Process, ContentLengthMustBeAByteCount) {
  TestServer server;
  auto send = [&](const std::string& length) {
    return raw_exchange(server.port(), "POST /v1/audio/sound_effect_generate HTTP/1.1\r\nHost: x\r\n"
                                       "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                                           length + "\r\n\r\n", 2000);
  };
  EXPECT_EQ(send("-5").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(send("12abc").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(send("99999999999999999999999").rfind("HTTP/1.1 413", 0), 0u);
}

}  // namespace
}  // namespace foley::server::testing
