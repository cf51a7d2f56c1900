// The `foley` command: one executable, one file per subcommand (generate, check, serve,
// keys, ...). Each *_command.cpp registers itself with FOLEY_REGISTER_COMMAND so main.cpp
// never needs to know the list.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace foley::cli {

struct Command {
  std::string summary;  // one line for `foley --help`
  // Receives the arguments after the subcommand name; returns the process exit code.
  std::function<int(const std::vector<std::string>&)> run;
};

std::map<std::string, Command>& command_registry();

struct CommandRegistrar {
  CommandRegistrar(const std::string& name, Command command) {
    command_registry().emplace(name, std::move(command));
  }
};

}  // namespace foley::cli

#define FOLEY_REGISTER_COMMAND(name, summary, fn) \
  static const ::foley::cli::CommandRegistrar foley_command_registrar_##fn{name, {summary, fn}}
