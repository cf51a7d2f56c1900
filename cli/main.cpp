#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "command.h"

namespace foley::cli {
std::map<std::string, Command>& command_registry() {
  static std::map<std::string, Command> registry;
  return registry;
}
}  // namespace foley::cli

namespace {
void print_usage() {
  std::printf("usage: foley <command> [options]\n\ncommands:\n");
  for (const auto& [name, command] : foley::cli::command_registry()) {
    std::printf("  %-10s %s\n", name.c_str(), command.summary.c_str());
  }
  std::printf("\nRun `foley <command> --help` for the options of a command.\n");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  auto& registry = foley::cli::command_registry();
  auto it = registry.find(argv[1]);
  if (it == registry.end()) {
    std::fprintf(stderr, "foley: unknown command '%s'\n\n", argv[1]);
    print_usage();
    return 2;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    return it->second.run(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "foley %s: error: %s\n", argv[1], e.what());
    return 1;
  }
}
