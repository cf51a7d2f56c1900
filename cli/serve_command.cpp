// `foley serve`: the HTTP service (server/, docs/server.md).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "command.h"
#include "foley/server/app.h"

namespace {

// Self-pipe: the handler only writes the signal number (async-signal-safe); a normal thread
// reads it and shuts down. A handler (not sigwait with a blocked mask) because libraries
// such as OpenBLAS start threads before main, and those would take the default action.
int shutdown_pipe[2] = {-1, -1};

void on_shutdown_signal(int signal_number) {
  unsigned char byte = static_cast<unsigned char>(signal_number);
  [[maybe_unused]] auto written = write(shutdown_pipe[1], &byte, 1);
}

int run_serve(const std::vector<std::string>& args) {
  bool help = false;
  auto config = foley::server::parse_server_config(
      args, [](const char* name) { return std::getenv(name); }, &help);
  if (help) {
    std::printf("%s", foley::server::server_config_help().c_str());
    return 0;
  }
  // Fail before listening when a model directory is missing: a server that can never become
  // ready is worse than a clear error.
  for (const auto& model : config.models) {
    std::error_code ec;
    if (!std::filesystem::is_directory(model, ec) ||
        !std::filesystem::exists(std::filesystem::path(model) / "model_config.json", ec)) {
      throw std::runtime_error("model directory '" + model +
                               "' not found (it needs model_config.json and model.safetensors); "
                               "pass --model DIR or set FOLEY_MODEL");
    }
  }
  // A dead client's socket must not kill the process.
  signal(SIGPIPE, SIG_IGN);
  if (pipe(shutdown_pipe) != 0) throw std::runtime_error("cannot create the shutdown pipe");
  struct sigaction action {};
  action.sa_handler = on_shutdown_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  foley::server::App app(config);
  int port = app.bind();
  std::string models;
  for (const auto& m : config.models) models += (models.empty() ? "" : ", ") + m;
  std::fprintf(stderr,
               "foley serve: listening on http://%s:%d (data dir %s; loading model %s; queue %d "
               "clips, batch %d, rate limit %d/%ds)\n",
               config.host.c_str(), port, config.data_dir.c_str(), models.c_str(),
               config.queue_capacity_clips, config.max_batch_clips, config.rate_limit_requests,
               config.rate_limit_window_s);
  app.load_models_async(/*exit_on_failure=*/true);

  std::thread signal_thread([&] {
    unsigned char byte = 0;
    while (read(shutdown_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
    int signal_number = byte;
    if (!app.shutting_down()) {
      std::fprintf(stderr,
                   "foley serve: %s received; finishing queued work (up to %d s), then exiting\n",
                   signal_number == SIGINT ? "SIGINT" : "SIGTERM", config.shutdown_grace_s);
    }
    app.shutdown();
  });
  app.listen();
  if (!app.shutting_down()) {
    std::fprintf(stderr, "foley serve: the HTTP server stopped unexpectedly\n");
    on_shutdown_signal(SIGTERM);  // wakes the signal thread so it can finish
  }
  signal_thread.join();
  std::fprintf(stderr, "foley serve: stopped\n");
  return 0;
}

}  // namespace

FOLEY_REGISTER_COMMAND("serve", "serve the HTTP API (see docs/server.md)", run_serve);
