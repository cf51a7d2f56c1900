#include "foley/server/config.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace foley::server {
namespace {

struct OptionSpec {
  ConfigOption option;
  bool is_flag;  // boolean switch: "--no-access-log" style handled by value parsing
  std::function<void(ServerConfig&, const std::string&)> apply;
};

long long parse_integer(const std::string& name, const std::string& value, long long min,
                        long long max) {
  std::size_t used = 0;
  long long parsed = 0;
  try {
    parsed = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || parsed < min || parsed > max) {
    throw std::invalid_argument("--" + name + " must be an integer in [" + std::to_string(min) +
                                ", " + std::to_string(max) + "], got '" + value + "'");
  }
  return parsed;
}

bool parse_bool(const std::string& name, const std::string& value) {
  if (value == "1" || value == "true" || value == "yes" || value == "on") return true;
  if (value == "0" || value == "false" || value == "no" || value == "off") return false;
  throw std::invalid_argument("--" + name + " must be true or false, got '" + value + "'");
}

const std::vector<OptionSpec>& specs() {
  static const std::vector<OptionSpec> all = {
      {{"host", "FOLEY_HOST", "address to listen on", "127.0.0.1"}, false,
       [](ServerConfig& c, const std::string& v) { c.host = v; }},
      {{"port", "FOLEY_PORT", "TCP port (0: any free port)", "8080"}, false,
       [](ServerConfig& c, const std::string& v) {
         c.port = static_cast<int>(parse_integer("port", v, 0, 65535));
       }},
      {{"data-dir", "FOLEY_DATA_DIR", "directory of the database (API keys, studio data)",
        "$XDG_DATA_HOME/foley or ~/.local/share/foley"},
       false, [](ServerConfig& c, const std::string& v) { c.data_dir = v; }},
      {{"model", "FOLEY_MODEL",
        "model directory (repeat the flag, or separate with ',' in env/file, to load several; "
        "the first is the default)",
        "./models/foley-mini"},
       false,
       [](ServerConfig& c, const std::string& v) {
         std::stringstream list(v);
         std::string item;
         while (std::getline(list, item, ',')) {
           if (!item.empty()) c.models.push_back(item);
         }
       }},
      {{"t5", "FOLEY_T5", "T5 text-encoder directory", "<model>/t5 if present, else <model>"},
       false, [](ServerConfig& c, const std::string& v) { c.t5_dir = v; }},
      {{"web-root", "FOLEY_WEB_ROOT", "directory of static files served at / (empty: none)", ""},
       false, [](ServerConfig& c, const std::string& v) { c.web_root = v; }},
      {{"max-body-bytes", "FOLEY_MAX_BODY_BYTES", "largest request body accepted (413 above)",
        "65536"},
       false,
       [](ServerConfig& c, const std::string& v) {
         c.max_body_bytes =
             static_cast<std::size_t>(parse_integer("max-body-bytes", v, 1, 1LL << 30));
       }},
      {{"rate-limit", "FOLEY_RATE_LIMIT", "requests per key per window (429 above)", "10"}, false,
       [](ServerConfig& c, const std::string& v) {
         c.rate_limit_requests = static_cast<int>(parse_integer("rate-limit", v, 1, 1000000));
       }},
      {{"rate-window", "FOLEY_RATE_WINDOW", "rate-limit window in seconds", "60"}, false,
       [](ServerConfig& c, const std::string& v) {
         c.rate_limit_window_s = static_cast<int>(parse_integer("rate-window", v, 1, 86400));
       }},
      {{"queue-capacity", "FOLEY_QUEUE_CAPACITY",
        "clips that may wait for the engine (503 QUEUE_FULL above)", "16"},
       false,
       [](ServerConfig& c, const std::string& v) {
         c.queue_capacity_clips = static_cast<int>(parse_integer("queue-capacity", v, 1, 100000));
       }},
      {{"max-batch-clips", "FOLEY_MAX_BATCH_CLIPS", "clips per engine call (batching)", "4"},
       false,
       [](ServerConfig& c, const std::string& v) {
         c.max_batch_clips = static_cast<int>(parse_integer("max-batch-clips", v, 1, 256));
       }},
      {{"http-threads", "FOLEY_HTTP_THREADS", "HTTP worker threads (0: max(64, queue + batch + 8))", "0"},
       false,
       [](ServerConfig& c, const std::string& v) {
         c.http_threads = static_cast<int>(parse_integer("http-threads", v, 0, 4096));
       }},
      {{"threads", "FOLEY_THREADS", "engine compute threads (0: all cores)", "0"}, false,
       [](ServerConfig& c, const std::string& v) {
         c.engine_threads = static_cast<int>(parse_integer("threads", v, 0, 1024));
       }},
      {{"shutdown-grace", "FOLEY_SHUTDOWN_GRACE",
        "seconds SIGTERM waits for queued/running work before rejecting it", "30"},
       false,
       [](ServerConfig& c, const std::string& v) {
         c.shutdown_grace_s = static_cast<int>(parse_integer("shutdown-grace", v, 0, 3600));
       }},
      {{"access-log", "FOLEY_ACCESS_LOG", "one JSON line per request on stderr (true/false)",
        "true"},
       false,
       [](ServerConfig& c, const std::string& v) { c.access_log = parse_bool("access-log", v); }},
  };
  return all;
}

const OptionSpec* find_spec(const std::string& name) {
  for (const auto& s : specs()) {
    if (s.option.name == name) return &s;
  }
  return nullptr;
}

std::string trim(const std::string& s) {
  auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  auto end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

void apply_config_file(ServerConfig& config, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read config file '" + path + "'");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    line = trim(line);
    if (line.empty()) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) {
      throw std::invalid_argument(path + ":" + std::to_string(number) +
                                  ": expected 'name = value', got '" + line + "'");
    }
    std::string name = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    const OptionSpec* spec = find_spec(name);
    if (!spec) {
      throw std::invalid_argument(path + ":" + std::to_string(number) + ": unknown setting '" +
                                  name + "' (see `foley serve --help`)");
    }
    spec->apply(config, value);
  }
}

}  // namespace

const std::vector<ConfigOption>& server_config_options() {
  static const std::vector<ConfigOption> options = [] {
    std::vector<ConfigOption> out;
    for (const auto& s : specs()) out.push_back(s.option);
    return out;
  }();
  return options;
}

std::string server_config_help() {
  std::ostringstream out;
  out << "usage: foley serve [--model DIR] [--host ADDR] [--port N] [options]\n\n"
         "Serves the HTTP API of docs/server.md. Every option also reads from an environment\n"
         "variable and from the config file (--config FILE or FOLEY_CONFIG; lines 'name = value').\n"
         "Precedence: flags, then environment, then config file, then defaults.\n\n";
  out << "  --config FILE (FOLEY_CONFIG)\n      config file\n";
  for (const auto& s : specs()) {
    out << "  --" << s.option.name << " (" << s.option.env << ", default: "
        << (s.option.default_text.empty() ? "none" : s.option.default_text) << ")\n      "
        << s.option.help << "\n";
  }
  return out.str();
}

std::string default_data_dir(const std::function<const char*(const char*)>& getenv_fn) {
  if (const char* xdg = getenv_fn("XDG_DATA_HOME"); xdg && *xdg) {
    return (std::filesystem::path(xdg) / "foley").string();
  }
  if (const char* home = getenv_fn("HOME"); home && *home) {
    return (std::filesystem::path(home) / ".local/share/foley").string();
  }
  return "foley-data";
}

std::string resolve_default_model_dir(const std::function<const char*(const char*)>&) {
  // The source checkout this binary was built from, then the working directory.
  std::vector<std::filesystem::path> candidates;
#ifdef FOLEY_SOURCE_DIR
  candidates.push_back(std::filesystem::path(FOLEY_SOURCE_DIR) / "models/foley-mini");
#endif
  candidates.push_back(std::filesystem::current_path() / "models/foley-mini");
  for (const auto& c : candidates) {
    std::error_code ec;
    if (std::filesystem::is_directory(c, ec)) return c.string();
  }
  std::string tried;
  for (const auto& c : candidates) tried += "\n  " + c.string();
  throw std::invalid_argument(
      "no model given and the default model was not found; tried:" + tried +
      "\npass --model DIR or set FOLEY_MODEL (a directory with model_config.json and "
      "model.safetensors)");
}

ServerConfig parse_server_config(const std::vector<std::string>& args,
                                 const std::function<const char*(const char*)>& getenv_fn,
                                 bool* help_requested) {
  // Pass 1: flags into a list (so the config file and env can be applied first).
  std::vector<std::pair<const OptionSpec*, std::string>> flags;
  std::string config_file;
  if (const char* env = getenv_fn("FOLEY_CONFIG"); env && *env) config_file = env;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      if (help_requested) *help_requested = true;
      return {};
    }
    if (arg.rfind("--", 0) != 0) {
      throw std::invalid_argument("unexpected argument '" + arg + "' (options start with --)");
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    if (name == "no-access-log") {
      flags.emplace_back(find_spec("access-log"), "false");
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) throw std::invalid_argument("--" + name + " needs a value");
      value = args[++i];
    }
    if (name == "config") {
      config_file = value;
      continue;
    }
    const OptionSpec* spec = find_spec(name);
    if (!spec) {
      throw std::invalid_argument("unknown option --" + name + " (see `foley serve --help`)");
    }
    flags.emplace_back(spec, value);
  }

  ServerConfig config;
  if (!config_file.empty()) apply_config_file(config, config_file);
  for (const auto& spec : specs()) {
    const char* env = getenv_fn(spec.option.env.c_str());
    if (env && *env) {
      if (spec.option.name == "model") config.models.clear();
      spec.apply(config, env);
    }
  }
  bool model_flag_seen = false;
  for (const auto& [spec, value] : flags) {
    if (spec->option.name == "model" && !model_flag_seen) {
      config.models.clear();  // flags replace env/file models rather than add to them
      model_flag_seen = true;
    }
    spec->apply(config, value);
  }
  if (config.data_dir.empty()) config.data_dir = default_data_dir(getenv_fn);
  if (config.models.empty()) config.models.push_back(resolve_default_model_dir(getenv_fn));
  return config;
}

}  // namespace foley::server
