#include "test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>

namespace foley::server::testing {
namespace fs = std::filesystem;

namespace {
fs::path unique_temp_dir(const std::string& stem) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  fs::path dir = fs::temp_directory_path() /
                 (stem + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
                  std::to_string(rd()));
  fs::create_directories(dir);
  return dir;
}
}  // namespace

const fs::path& tiny_model_dir() {
  static const fs::path dir = [] {
    fs::path source = fs::path(FOLEY_TEST_DATA_DIR) / "tiny-pipeline";
    fs::path copy = unique_temp_dir("foley-tiny-model");
    std::ifstream in(source / "model_config.json");
    auto config = nlohmann::json::parse(in);
    config["sample_size"] = 32768;
    std::ofstream(copy / "model_config.json") << config.dump(2);
    fs::create_symlink(source / "model.safetensors", copy / "model.safetensors");
    fs::create_directory_symlink(source / "t5", copy / "t5");
    return copy;
  }();
  return dir;
}

TestServer::TestServer(TestServerOptions options) {
  data_dir_ = unique_temp_dir("foley-server-test");
  ServerConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.data_dir = data_dir_.string();
  config.models = {tiny_model_dir().string()};
  config.engine_threads = 1;
  config.access_log = false;
  config.shutdown_grace_s = 10;
  if (options.configure) options.configure(config);
  app_ = std::make_unique<App>(config);
  key_ = app_->keys().create("test", 3600).key;
  if (options.load_model) load_model();
  port_ = app_->bind();
  listener_ = std::thread([this] { app_->listen(); });
  // listen_after_bind starts accepting at once; wait until it answers.
  for (int i = 0; i < 200; ++i) {
    auto res = client(1)->Get("/healthz");
    if (res && res->status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("test server did not start");
}

void TestServer::load_model() {
  EngineOptions options;
  options.threads = app_->config().engine_threads;
  SchedulerOptions scheduler{app_->config().queue_capacity_clips, app_->config().max_batch_clips};
  // Capture the App itself: app_ (the unique_ptr) is already null while ~App joins the
  // scheduler thread, which may still report a last batch.
  App* app = app_.get();
  app->generation().add_model(load_engine(app->config().models.front(), "", options), scheduler,
                              [app](int c, double s, double a) { app->metrics().record_batch(c, s, a); });
}

void TestServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  app_->shutdown();
  if (listener_.joinable()) listener_.join();
}

TestServer::~TestServer() {
  stop();
  app_.reset();
  std::error_code ec;
  fs::remove_all(data_dir_, ec);
}

std::unique_ptr<httplib::Client> TestServer::client(int timeout_s) const {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
  c->set_read_timeout(timeout_s, 0);
  c->set_write_timeout(timeout_s, 0);
  c->set_connection_timeout(5, 0);
  return c;
}

httplib::Result TestServer::generate(const std::string& body, const httplib::Headers& extra) const {
  return generate_with_key(key_, body, extra);
}

httplib::Result TestServer::generate_with_key(const std::string& key, const std::string& body,
                                              const httplib::Headers& extra) const {
  httplib::Headers headers = extra;
  if (!key.empty()) headers.emplace("Authorization", "Bearer " + key);
  return client()->Post("/v1/audio/sound_effect_generate", headers, body, "application/json");
}

int raw_send(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("connect failed");
  }
  std::size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  return fd;
}

std::string raw_exchange(int port, const std::string& request, int timeout_ms) {
  int fd = raw_send(port, request);
  std::string response;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buffer[4096];
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
    // Stop at the end of the first complete response (the server may keep the connection).
    auto header_end = response.find("\r\n\r\n");
    auto length_at = response.find("Content-Length: ");
    if (header_end != std::string::npos && length_at != std::string::npos && length_at < header_end) {
      std::size_t length = std::stoul(response.substr(length_at + 16));
      if (response.size() >= header_end + 4 + length) break;
    }
  }
  close(fd);
  return response;
}

}  // namespace foley::server::testing
