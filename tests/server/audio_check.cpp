#include "audio_check.h"

#include <FLAC/stream_decoder.h>

#include <cstring>

namespace foley::server::testing {
namespace {
uint32_t u32(const std::string& b, std::size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
}
uint16_t u16(const std::string& b, std::size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8);
}
}  // namespace

WavInfo parse_wav(const std::string& b) {
  WavInfo w;
  if (b.size() < 44 || b.compare(0, 4, "RIFF") != 0 || b.compare(8, 4, "WAVE") != 0) {
    w.error = "not RIFF/WAVE";
    return w;
  }
  if (u32(b, 4) != b.size() - 8) {
    w.error = "RIFF size does not match the file";
    return w;
  }
  if (b.compare(12, 4, "fmt ") != 0 || u32(b, 16) != 16 || b.compare(36, 4, "data") != 0) {
    w.error = "unexpected chunk layout";
    return w;
  }
  w.format = u16(b, 20);
  w.channels = u16(b, 22);
  w.sample_rate = static_cast<int>(u32(b, 24));
  w.byte_rate = static_cast<int>(u32(b, 28));
  w.block_align = u16(b, 32);
  w.bits = u16(b, 34);
  uint32_t data_bytes = u32(b, 40);
  if (data_bytes != b.size() - 44 || w.block_align == 0) {
    w.error = "data size does not match the file";
    return w;
  }
  w.frames = data_bytes / static_cast<uint32_t>(w.block_align);
  w.samples.resize(data_bytes / 2);
  std::memcpy(w.samples.data(), b.data() + 44, data_bytes);
  w.valid = true;
  return w;
}

namespace {
struct DecodeState {
  const std::string* input;
  std::size_t position = 0;
  FlacInfo* info;
  bool error = false;
};

FLAC__StreamDecoderReadStatus read_cb(const FLAC__StreamDecoder*, FLAC__byte buffer[],
                                      size_t* bytes, void* client) {
  auto* s = static_cast<DecodeState*>(client);
  std::size_t left = s->input->size() - s->position;
  if (left == 0) {
    *bytes = 0;
    return FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM;
  }
  std::size_t n = std::min(left, *bytes);
  std::memcpy(buffer, s->input->data() + s->position, n);
  s->position += n;
  *bytes = n;
  return FLAC__STREAM_DECODER_READ_STATUS_CONTINUE;
}

FLAC__StreamDecoderWriteStatus write_cb(const FLAC__StreamDecoder*, const FLAC__Frame* frame,
                                        const FLAC__int32* const buffer[], void* client) {
  auto* s = static_cast<DecodeState*>(client);
  for (uint32_t i = 0; i < frame->header.blocksize; ++i) {
    for (uint32_t c = 0; c < frame->header.channels; ++c) {
      s->info->samples.push_back(static_cast<int16_t>(buffer[c][i]));
    }
  }
  return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

void metadata_cb(const FLAC__StreamDecoder*, const FLAC__StreamMetadata* m, void* client) {
  auto* s = static_cast<DecodeState*>(client);
  if (m->type == FLAC__METADATA_TYPE_STREAMINFO) {
    s->info->channels = static_cast<int>(m->data.stream_info.channels);
    s->info->sample_rate = static_cast<int>(m->data.stream_info.sample_rate);
    s->info->bits = static_cast<int>(m->data.stream_info.bits_per_sample);
    s->info->total_frames = m->data.stream_info.total_samples;
  }
}

void error_cb(const FLAC__StreamDecoder*, FLAC__StreamDecoderErrorStatus, void* client) {
  static_cast<DecodeState*>(client)->error = true;
}
}  // namespace

FlacInfo decode_flac(const std::string& bytes) {
  FlacInfo info;
  DecodeState state{&bytes, 0, &info};
  FLAC__StreamDecoder* decoder = FLAC__stream_decoder_new();
  FLAC__stream_decoder_set_md5_checking(decoder, true);
  if (FLAC__stream_decoder_init_stream(decoder, read_cb, nullptr, nullptr, nullptr, nullptr,
                                       write_cb, metadata_cb, error_cb, &state) ==
      FLAC__STREAM_DECODER_INIT_STATUS_OK) {
    bool ok = FLAC__stream_decoder_process_until_end_of_stream(decoder);
    bool md5_ok = FLAC__stream_decoder_finish(decoder);
    info.valid = ok && md5_ok && !state.error;
  }
  FLAC__stream_decoder_delete(decoder);
  return info;
}

std::string base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) continue;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace foley::server::testing
