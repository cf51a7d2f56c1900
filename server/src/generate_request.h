// The body of POST /v1/audio/sound_effect_generate, parsed and checked in the contract's
// order: every structural problem (invalid JSON or UTF-8, args not an object, missing or
// unknown field, wrong type) is a 400 before any range problem (422) is reported.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "foley/server/audio_codec.h"

namespace foley::server {

struct GenerateArgs {
  std::optional<std::string> model;  // omitted = the default model
  std::string prompt;
  std::string negative_prompt;
  double cfg = 4.5;
  std::optional<int32_t> seed;
  int n = 1;
  std::optional<double> duration;  // the model-dependent bound is checked by the caller
  int steps = 0;                   // 0 = model default
  std::optional<AudioFormat> format;
};

// Throws ApiError (400 BAD_REQUEST or 422 VALIDATION_ERROR) naming the field.
GenerateArgs parse_generate_request(const std::string& body);

bool is_valid_utf8(const std::string& text);
bool is_blank(const std::string& utf8_text);  // empty or only (Unicode) whitespace

// Content negotiation for n = 1 without `format`: FLAC when Accept ranks audio/flac above
// audio/wav (q-values, audio/* and */* wildcards honoured).
AudioFormat negotiate_format(const std::string& accept_header);

}  // namespace foley::server
