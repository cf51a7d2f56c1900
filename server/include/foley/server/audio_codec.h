// Audio file encoders for the HTTP responses: RIFF/WAVE PCM 16-bit and FLAC (libFLAC),
// both from the engine's interleaved int16 clip, both complete files in memory.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace foley::server {

enum class AudioFormat { kWav, kFlac };

const char* format_name(AudioFormat format);        // "wav" / "flac"
const char* format_media_type(AudioFormat format);  // "audio/wav" / "audio/flac"

std::string encode_wav(std::span<const int16_t> interleaved, int sample_rate, int channels);
// Lossless; STREAMINFO carries the exact frame count and MD5. Throws std::runtime_error.
std::string encode_flac(std::span<const int16_t> interleaved, int sample_rate, int channels);

std::string encode_audio(AudioFormat format, std::span<const int16_t> interleaved,
                         int sample_rate, int channels);

std::string base64_encode(const std::string& bytes);

}  // namespace foley::server
