// `foley users`: studio accounts from the command line. The first administrator has to come
// from here (the web sign-up only makes ordinary accounts):
//   foley users create-admin --name alice            (password read from stdin)
//   foley users create-admin --name alice --password 'correct horse'
//   foley users list
// Both work beside a running server: the database is SQLite in WAL mode.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "foley/server/config.h"
#include "foley/server/database.h"
#include "foley/studio/users.h"

namespace {

constexpr const char* kUsage =
    "usage: foley users create-admin --name NAME [--password PASSWORD | --password-stdin]\n"
    "                                [--data-dir DIR]\n"
    "       foley users list [--data-dir DIR]\n"
    "\n"
    "Without --password the password is read from standard input (one line; asked twice,\n"
    "without echo, when standard input is a terminal). --data-dir defaults to $FOLEY_DATA_DIR,\n"
    "then $XDG_DATA_HOME/foley or ~/.local/share/foley: the directory `foley serve` uses.\n";

struct Options {
  std::string action;
  std::optional<std::string> name;
  std::optional<std::string> password;
  std::string data_dir;
};

std::string strip_line_end(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

std::string read_password_line(const char* prompt) {
  const bool terminal = ::isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (terminal) {
    std::fprintf(stderr, "%s", prompt);
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (terminal) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fprintf(stderr, "\n");
  }
  if (!got) throw std::runtime_error("no password on standard input (or use --password)");
  return strip_line_end(line);
}

std::string read_password_from_stdin() {
  const std::string first = read_password_line("Password: ");
  if (::isatty(STDIN_FILENO)) {
    if (read_password_line("Repeat password: ") != first) throw std::runtime_error("the passwords differ");
  }
  return first;
}

std::optional<Options> parse(const std::vector<std::string>& args) {
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(std::string(flag) + " needs a value");
      return args[++i];
    };
    if (arg == "--help" || arg == "-h") return std::nullopt;
    if (arg == "--name") options.name = value("--name");
    else if (arg == "--password") options.password = value("--password");
    else if (arg == "--password-stdin") options.password.reset();
    else if (arg == "--data-dir") options.data_dir = value("--data-dir");
    else if (options.action.empty() && !arg.starts_with("-")) options.action = arg;
    else throw std::invalid_argument("unknown argument '" + arg + "'");
  }
  if (options.data_dir.empty()) {
    const char* env = std::getenv("FOLEY_DATA_DIR");
    options.data_dir = env && *env ? env : foley::server::default_data_dir(std::getenv);
  }
  return options;
}

int create_admin(const Options& options) {
  if (!options.name) throw std::invalid_argument("--name is required");
  const std::string password = options.password ? *options.password : read_password_from_stdin();
  std::filesystem::create_directories(options.data_dir);
  auto database = foley::server::Database::open(std::filesystem::path(options.data_dir) / "foley.db");
  foley::studio::UserStore users(*database);
  try {
    const auto user = users.create(*options.name, password, true);
    std::printf("created administrator '%s' (id %lld) in %s\n", user.name.c_str(),
                static_cast<long long>(user.id), options.data_dir.c_str());
  } catch (const foley::studio::UserExistsError& e) {
    std::fprintf(stderr, "foley users: %s\n", e.what());
    return 1;
  }
  return 0;
}

int list_users(const Options& options) {
  auto database = foley::server::Database::open(std::filesystem::path(options.data_dir) / "foley.db");
  foley::studio::UserStore users(*database);
  std::printf("%-6s %-32s %-6s %s\n", "ID", "NAME", "ADMIN", "CREATED (unix)");
  for (const auto& user : users.list()) {
    std::printf("%-6lld %-32s %-6s %lld\n", static_cast<long long>(user.id), user.name.c_str(),
                user.is_admin ? "yes" : "no", static_cast<long long>(user.created_at));
  }
  return 0;
}

int run_users(const std::vector<std::string>& args) {
  std::optional<Options> options;
  try {
    options = parse(args);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "foley users: %s\n\n%s", e.what(), kUsage);
    return 2;
  }
  if (!options) {
    std::printf("%s", kUsage);
    return 0;
  }
  try {
    if (options->action == "create-admin") return create_admin(*options);
    if (options->action == "list") return list_users(*options);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "foley users: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "foley users: %s\n\n%s",
               options->action.empty() ? "missing action" : ("unknown action '" + options->action + "'").c_str(), kUsage);
  return 2;
}

}  // namespace

FOLEY_REGISTER_COMMAND("users", "studio accounts: create-admin, list", run_users);
