// `foley serve`: the HTTP service (server/, docs/server.md).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "command.h"
#include "foley/server/app.h"

namespace {

int run_serve(const std::vector<std::string>& args) {
  bool help = false;
  auto config = foley::server::parse_server_config(
      args, [](const char* name) { return std::getenv(name); }, &help);
  if (help) {
    std::printf("%s", foley::server::server_config_help().c_str());
    return 0;
  }
  // SIGTERM / SIGINT are handled by one thread with sigwait (blocked everywhere else, so no
  // worker thread is interrupted); a dead client's socket must not kill the process.
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

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
    int signal_number = 0;
    sigwait(&shutdown_signals, &signal_number);
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
    kill(getpid(), SIGTERM);  // wakes the signal thread so it can finish
  }
  signal_thread.join();
  std::fprintf(stderr, "foley serve: stopped\n");
  return 0;
}

}  // namespace

FOLEY_REGISTER_COMMAND("serve", "serve the HTTP API (see docs/server.md)", run_serve);
