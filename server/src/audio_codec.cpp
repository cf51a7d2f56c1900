#include "foley/server/audio_codec.h"

#include <FLAC/stream_encoder.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

namespace foley::server {

const char* format_name(AudioFormat format) { return format == AudioFormat::kFlac ? "flac" : "wav"; }
const char* format_media_type(AudioFormat format) {
  return format == AudioFormat::kFlac ? "audio/flac" : "audio/wav";
}

namespace {
void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u16(std::string& out, uint16_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>(v >> 8);
}
}  // namespace

std::string encode_wav(std::span<const int16_t> interleaved, int sample_rate, int channels) {
  const uint32_t data_bytes = static_cast<uint32_t>(interleaved.size() * sizeof(int16_t));
  const uint16_t block_align = static_cast<uint16_t>(channels * 2);
  std::string out;
  out.reserve(44 + data_bytes);
  out += "RIFF";
  put_u32(out, 36 + data_bytes);
  out += "WAVE";
  out += "fmt ";
  put_u32(out, 16);
  put_u16(out, 1);  // PCM
  put_u16(out, static_cast<uint16_t>(channels));
  put_u32(out, static_cast<uint32_t>(sample_rate));
  put_u32(out, static_cast<uint32_t>(sample_rate) * block_align);
  put_u16(out, block_align);
  put_u16(out, 16);
  out += "data";
  put_u32(out, data_bytes);
  // WAV is little-endian, as is every machine this builds for.
  std::size_t offset = out.size();
  out.resize(offset + data_bytes);
  std::memcpy(out.data() + offset, interleaved.data(), data_bytes);
  return out;
}

namespace {

// libFLAC writes to this memory "file"; seek/tell let it rewrite STREAMINFO at the end with
// the exact frame count and the MD5 of the samples.
struct MemoryFile {
  std::string bytes;
  std::size_t position = 0;
};

FLAC__StreamEncoderWriteStatus write_cb(const FLAC__StreamEncoder*, const FLAC__byte buffer[],
                                        size_t bytes, uint32_t, uint32_t, void* client) {
  auto* file = static_cast<MemoryFile*>(client);
  if (file->position + bytes > file->bytes.size()) file->bytes.resize(file->position + bytes);
  std::memcpy(file->bytes.data() + file->position, buffer, bytes);
  file->position += bytes;
  return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
}

FLAC__StreamEncoderSeekStatus seek_cb(const FLAC__StreamEncoder*, FLAC__uint64 offset,
                                      void* client) {
  auto* file = static_cast<MemoryFile*>(client);
  if (offset > file->bytes.size()) return FLAC__STREAM_ENCODER_SEEK_STATUS_ERROR;
  file->position = static_cast<std::size_t>(offset);
  return FLAC__STREAM_ENCODER_SEEK_STATUS_OK;
}

FLAC__StreamEncoderTellStatus tell_cb(const FLAC__StreamEncoder*, FLAC__uint64* offset,
                                      void* client) {
  *offset = static_cast<const MemoryFile*>(client)->position;
  return FLAC__STREAM_ENCODER_TELL_STATUS_OK;
}

struct EncoderDeleter {
  void operator()(FLAC__StreamEncoder* e) const { FLAC__stream_encoder_delete(e); }
};

}  // namespace

std::string encode_flac(std::span<const int16_t> interleaved, int sample_rate, int channels) {
  if (channels <= 0) throw std::runtime_error("FLAC encoder: channel count must be positive");
  std::unique_ptr<FLAC__StreamEncoder, EncoderDeleter> encoder(FLAC__stream_encoder_new());
  if (!encoder) throw std::runtime_error("FLAC encoder: out of memory");
  const std::size_t frames = interleaved.size() / static_cast<std::size_t>(channels);
  FLAC__stream_encoder_set_channels(encoder.get(), static_cast<uint32_t>(channels));
  FLAC__stream_encoder_set_bits_per_sample(encoder.get(), 16);
  FLAC__stream_encoder_set_sample_rate(encoder.get(), static_cast<uint32_t>(sample_rate));
  // Level 5 is libFLAC's default trade-off; the encode costs a few ms per second of audio.
  FLAC__stream_encoder_set_compression_level(encoder.get(), 5);
  FLAC__stream_encoder_set_total_samples_estimate(encoder.get(), frames);
  MemoryFile file;
  if (FLAC__stream_encoder_init_stream(encoder.get(), write_cb, seek_cb, tell_cb, nullptr,
                                       &file) != FLAC__STREAM_ENCODER_INIT_STATUS_OK) {
    throw std::runtime_error("FLAC encoder: init failed");
  }
  std::vector<FLAC__int32> block;
  const std::size_t frames_per_call = 4096;
  for (std::size_t start = 0; start < frames; start += frames_per_call) {
    std::size_t count = std::min(frames_per_call, frames - start);
    block.resize(count * static_cast<std::size_t>(channels));
    for (std::size_t i = 0; i < block.size(); ++i) {
      block[i] = interleaved[start * static_cast<std::size_t>(channels) + i];
    }
    if (!FLAC__stream_encoder_process_interleaved(encoder.get(), block.data(),
                                                  static_cast<uint32_t>(count))) {
      throw std::runtime_error(
          std::string("FLAC encoder: ") +
          FLAC__stream_encoder_get_resolved_state_string(encoder.get()));
    }
  }
  if (!FLAC__stream_encoder_finish(encoder.get())) {
    throw std::runtime_error("FLAC encoder: finish failed");
  }
  return std::move(file.bytes);
}

std::string encode_audio(AudioFormat format, std::span<const int16_t> interleaved,
                         int sample_rate, int channels) {
  return format == AudioFormat::kFlac ? encode_flac(interleaved, sample_rate, channels)
                                      : encode_wav(interleaved, sample_rate, channels);
}

std::string base64_encode(const std::string& bytes) {
  static const char* alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest) {
    uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i]) << 16);
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace foley::server
