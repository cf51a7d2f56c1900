// Parity of every SAOS stage against the official PyTorch reference (tests/data/saos-tiny),
// through the same check_fixture that `foley check` runs.
#include <gtest/gtest.h>

#include "foley/engine.h"
#include "foley/parity.h"
#include "test_util.h"

namespace foley {
namespace {

const ParityReport& report() {
  static const ParityReport r = check_fixture(testing::data_dir() / "saos-tiny");
  return r;
}

void expect_stage(const std::string& prefix, std::size_t min_cases) {
  std::size_t n = 0;
  for (const auto& c : report().cases) {
    if (c.name.rfind(prefix, 0) != 0) continue;
    ++n;
    EXPECT_TRUE(c.passed) << c.name << ": max abs err " << c.max_abs_error << " (ref " << c.max_abs_reference
                          << "), cosine " << c.cosine;
    EXPECT_GE(c.cosine, 0.99999) << c.name;
  }
  EXPECT_GE(n, min_cases) << "stage " << prefix;
}

TEST(Parity, SaosTinyKind) {
  EXPECT_EQ(report().kind, "saos");
  EXPECT_TRUE(report().passed());
}
TEST(Parity, SecondsConditioner) { expect_stage("seconds.", 1); }
TEST(Parity, DitForwardAndIntermediates) { expect_stage("dit.cfg1.", 13); }
TEST(Parity, DitClassifierFreeGuidance) { expect_stage("dit.cfg.", 2); }
TEST(Parity, DitNegativePrompt) { expect_stage("dit.cfg_neg.", 2); }
TEST(Parity, PingPongEightStepsCfg1) { expect_stage("sample.", 7); }
TEST(Parity, PingPongEightStepsCfgWithNegative) { expect_stage("sample_cfg.", 7); }
TEST(Parity, DecoderWholeAndChunked) { expect_stage("decode.", 2); }
TEST(Parity, DecoderPerLayer) { expect_stage("decode2.", 9); }

TEST(Parity, NotAFixture) { EXPECT_THROW(check_fixture(testing::data_dir() / "no-such-dir"), EngineError); }

}  // namespace
}  // namespace foley
