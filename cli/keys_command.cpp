// `foley keys create|list|revoke`: API keys in the server's database (<data dir>/foley.db).
// The key itself goes to stdout alone (so `KEY=$(foley keys create --name ci)` works); the
// details go to stderr.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "command.h"
#include "foley/server/api_keys.h"
#include "foley/server/config.h"
#include "foley/server/database.h"

namespace {

namespace fs = foley::server;

std::string format_time(int64_t unix_seconds) {
  if (unix_seconds == 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

void print_usage() {
  std::printf(
      "usage:\n"
      "  foley keys create --name NAME [--ttl 30d] [--data-dir DIR]   new key, printed once\n"
      "  foley keys list [--data-dir DIR]                             all keys (never the secret)\n"
      "  foley keys revoke ID [--data-dir DIR]                        revoke at once\n\n"
      "--ttl: 30d, 12h, 90m, 3600s, 2w or 'never' (default 30d). The data dir defaults to\n"
      "FOLEY_DATA_DIR, else $XDG_DATA_HOME/foley or ~/.local/share/foley (as `foley serve`).\n");
}

int run_keys(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    print_usage();
    return args.empty() ? 2 : 0;
  }
  const std::string action = args[0];
  std::string name, ttl = "30d", data_dir, id;
  for (std::size_t i = 1; i < args.size(); ++i) {
    auto value = [&](const char* flag) {
      if (i + 1 >= args.size()) throw std::invalid_argument(std::string(flag) + " needs a value");
      return args[++i];
    };
    if (args[i] == "--name") name = value("--name");
    else if (args[i] == "--ttl") ttl = value("--ttl");
    else if (args[i] == "--data-dir") data_dir = value("--data-dir");
    else if (args[i].rfind("--", 0) != 0 && action == "revoke" && id.empty()) id = args[i];
    else throw std::invalid_argument("unexpected argument '" + args[i] + "' (see `foley keys --help`)");
  }
  if (data_dir.empty()) {
    const char* env = std::getenv("FOLEY_DATA_DIR");
    data_dir = env && *env ? env : fs::default_data_dir([](const char* n) { return std::getenv(n); });
  }
  if (action != "create" && action != "list" && action != "revoke") {
    throw std::invalid_argument("unknown action '" + action + "'; use create, list or revoke");
  }
  std::filesystem::create_directories(data_dir);
  auto db = fs::Database::open(std::filesystem::path(data_dir) / "foley.db");
  fs::ApiKeyStore keys(*db);

  if (action == "create") {
    if (name.empty()) throw std::invalid_argument("--name NAME is required (a label for the key)");
    auto created = keys.create(name, fs::parse_ttl(ttl));
    std::fprintf(stderr, "id %s, name '%s', expires %s. Store the key now: it is shown only once.\n",
                 created.info.id.c_str(), name.c_str(), format_time(created.info.expires_at).c_str());
    std::printf("%s\n", created.key.c_str());
    return 0;
  }
  if (action == "list") {
    std::printf("%-12s  %-20s  %-20s  %-20s  %-8s  %s\n", "ID", "NAME", "CREATED", "EXPIRES",
                "STATUS", "LAST USED");
    int64_t now = std::time(nullptr);
    for (const auto& k : keys.list()) {
      const char* status = k.revoked_at ? "revoked"
                           : (k.expires_at && now >= k.expires_at) ? "expired"
                                                                     : "active";
      std::printf("%-12s  %-20s  %-20s  %-20s  %-8s  %s\n", k.id.c_str(), k.name.c_str(),
                  format_time(k.created_at).c_str(), format_time(k.expires_at).c_str(), status,
                  format_time(k.last_used_at).c_str());
    }
    return 0;
  }
  if (id.empty()) throw std::invalid_argument("usage: foley keys revoke ID (see `foley keys list`)");
  if (!keys.revoke(id)) {
    std::fprintf(stderr, "foley keys: no active key with id '%s'\n", id.c_str());
    return 1;
  }
  std::fprintf(stderr, "key %s revoked\n", id.c_str());
  return 0;
}

}  // namespace

FOLEY_REGISTER_COMMAND("keys", "manage API keys: create, list, revoke", run_keys);
