// ServerConfig: every setting of `foley serve`. Sources, highest precedence first:
// command-line flags (--max-body-bytes 65536), environment variables (FOLEY_MAX_BODY_BYTES),
// a config file (--config FILE / FOLEY_CONFIG; lines "max-body-bytes = 65536", '#' comments),
// then the defaults below. docs/server.md has the reference table.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace foley::server {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string data_dir;             // default: $XDG_DATA_HOME/foley or ~/.local/share/foley
  std::vector<std::string> models;  // model directories; the first is the default
  std::string t5_dir;               // default: <model>/t5 if present, else <model>
  std::string web_root;             // static files served under /; empty: none
  std::size_t max_body_bytes = 64 * 1024;
  int rate_limit_requests = 10;
  int rate_limit_window_s = 60;
  int queue_capacity_clips = 16;
  int max_batch_clips = 4;
  int http_threads = 0;             // 0: max(64, queue + batch + 8), so /healthz always answers
  int engine_threads = 0;           // 0: all hardware threads
  int shutdown_grace_s = 30;
  bool access_log = true;
};

// One setting: its flag name (also the config-file key), env var and help line.
struct ConfigOption {
  std::string name;  // "max-body-bytes"
  std::string env;   // "FOLEY_MAX_BODY_BYTES"
  std::string help;
  std::string default_text;
};
const std::vector<ConfigOption>& server_config_options();

// Builds the config from flags, env (via getenv) and the config file. Throws
// std::invalid_argument naming the flag and the accepted values. `--help` sets *help_requested.
ServerConfig parse_server_config(const std::vector<std::string>& args,
                                 const std::function<const char*(const char*)>& getenv_fn,
                                 bool* help_requested = nullptr);
std::string server_config_help();

// --model, FOLEY_MODEL, then ./models/foley-mini under the source checkout or cwd.
std::string resolve_default_model_dir(const std::function<const char*(const char*)>& getenv_fn);
std::string default_data_dir(const std::function<const char*(const char*)>& getenv_fn);

}  // namespace foley::server
