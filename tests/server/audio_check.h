// Test helpers: parse a WAV header strictly, decode FLAC with libFLAC, decode base64.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace foley::server::testing {

struct WavInfo {
  bool valid = false;
  std::string error;
  int format = 0, channels = 0, sample_rate = 0, bits = 0, byte_rate = 0, block_align = 0;
  std::size_t frames = 0;
  std::vector<int16_t> samples;  // interleaved
};
WavInfo parse_wav(const std::string& bytes);

struct FlacInfo {
  bool valid = false;
  int channels = 0, sample_rate = 0, bits = 0;
  uint64_t total_frames = 0;  // from STREAMINFO
  std::vector<int16_t> samples;
};
FlacInfo decode_flac(const std::string& bytes);

std::string base64_decode(const std::string& text);

}  // namespace foley::server::testing
