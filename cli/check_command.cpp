// `foley check FIXTURE_DIR`: recompute a reference fixture's tensors with the engine and
// print, per case, the max abs error, relative error and cosine. Exit code 0 only when every
// case passes.
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "foley/parity.h"

namespace {

int run_check(const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0] == "--help" || args[0] == "-h") {
    std::printf("usage: foley check FIXTURE_DIR\n\nRuns every case of a parity fixture (saos or t5)\n"
                "and exits non-zero when one fails (cosine < min or relative error > max).\n");
    return args.size() == 1 ? 0 : 2;
  }
  const foley::ParityReport report = foley::check_fixture(args[0]);
  std::printf("fixture %s (%s): tolerance cosine >= %.6f, max|err|/max|ref| <= %.1e\n", report.fixture.c_str(),
              report.kind.c_str(), report.min_cosine, report.max_relative_error);
  std::printf("%-40s %12s %12s %12s  %s\n", "case", "max_abs_err", "rel_err", "cosine", "result");
  int failed = 0;
  for (const auto& c : report.cases) {
    const double rel = c.max_abs_reference > 0 ? c.max_abs_error / c.max_abs_reference : c.max_abs_error;
    std::printf("%-40s %12.3e %12.3e %12.9f  %s\n", c.name.c_str(), c.max_abs_error, rel, c.cosine,
                c.passed ? "ok" : "FAIL");
    if (!c.passed) ++failed;
  }
  std::printf("%zu cases, %d failed\n", report.cases.size(), failed);
  return report.passed() ? 0 : 1;
}

}  // namespace

FOLEY_REGISTER_COMMAND("check", "compare the engine against a reference fixture folder", run_check);
