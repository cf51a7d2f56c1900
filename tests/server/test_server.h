// TestServer: a real foley::server::App listening on 127.0.0.1 (a free port), with the real
// engine loaded from tests/data/tiny-pipeline, a fresh data directory and one API key.
#pragma once

#include <httplib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "foley/server/app.h"

namespace foley::server::testing {

// tests/data/tiny-pipeline with a longer sample_size: the fixture's own 8192 samples
// (0.19 s) are below the contract's 0.5 s minimum duration, so the tests use a copy of its
// config with sample_size 32768 (0.743 s) next to links to its weights.
const std::filesystem::path& tiny_model_dir();

struct TestServerOptions {
  std::function<void(ServerConfig&)> configure;
  bool load_model = true;
};

class TestServer {
 public:
  explicit TestServer(TestServerOptions options = {});
  ~TestServer();

  App& app() { return *app_; }
  int port() const { return port_; }
  const std::string& key() const { return key_; }
  std::unique_ptr<httplib::Client> client(int timeout_s = 60) const;
  void load_model();
  void stop();

  // POST /v1/audio/sound_effect_generate with the server's key.
  httplib::Result generate(const std::string& body, const httplib::Headers& extra = {}) const;
  httplib::Result generate_with_key(const std::string& key, const std::string& body,
                                    const httplib::Headers& extra = {}) const;

 private:
  std::filesystem::path data_dir_;
  std::unique_ptr<App> app_;
  std::thread listener_;
  int port_ = 0;
  std::string key_;
  bool stopped_ = false;
};

// Sends raw bytes on a new connection and returns everything read until the server closes
// the connection or `timeout_ms` passes.
std::string raw_exchange(int port, const std::string& request, int timeout_ms = 5000);
// Opens a connection and sends `request` without reading; returns the socket fd.
int raw_send(int port, const std::string& request);

}  // namespace foley::server::testing
