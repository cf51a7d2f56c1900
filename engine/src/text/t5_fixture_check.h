// Parity check of the T5 encoder against a t5-tiny style fixture folder (config.json,
// model.safetensors, cases.safetensors produced by transformers' T5EncoderModel): every
// reference tensor present (last_hidden_state, masked_last_hidden_state, hidden_states.*,
// position_bias_block0) is recomputed from input_ids/attention_mask and compared.
#pragma once

#include <filesystem>

#include "foley/parity.h"

namespace foley::text {

// Throws foley::EngineError when the fixture is unreadable or lacks the inputs.
ParityReport check_t5_fixture(const std::filesystem::path& dir);

}  // namespace foley::text
