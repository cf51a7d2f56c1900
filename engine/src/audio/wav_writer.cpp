#include <cstring>
#include <fstream>

#include "foley/engine.h"
#include "foley/wav.h"

namespace foley {

namespace {
void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>(v >> 8));
}
}  // namespace

std::string wav_bytes(std::span<const int16_t> interleaved, int sample_rate, int channels) {
  if (channels <= 0 || sample_rate <= 0) throw EngineError("wav: bad channel count or sample rate");
  const uint64_t data_bytes = interleaved.size() * 2;
  if (data_bytes > 0xFFFFFFFFull - 36) throw EngineError("wav: audio too long for a RIFF file");
  std::string s;
  s.reserve(44 + data_bytes);
  s += "RIFF";
  put_u32(s, static_cast<uint32_t>(36 + data_bytes));
  s += "WAVEfmt ";
  put_u32(s, 16);
  put_u16(s, 1);  // PCM
  put_u16(s, static_cast<uint16_t>(channels));
  put_u32(s, static_cast<uint32_t>(sample_rate));
  put_u32(s, static_cast<uint32_t>(sample_rate * channels * 2));
  put_u16(s, static_cast<uint16_t>(channels * 2));
  put_u16(s, 16);
  s += "data";
  put_u32(s, static_cast<uint32_t>(data_bytes));
  for (int16_t v : interleaved) put_u16(s, static_cast<uint16_t>(v));
  return s;
}

void write_wav(const std::filesystem::path& path, std::span<const int16_t> interleaved, int sample_rate,
               int channels) {
  const std::string bytes = wav_bytes(interleaved, sample_rate, channels);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw EngineError(path.string() + ": cannot open for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw EngineError(path.string() + ": write failed");
}

}  // namespace foley
