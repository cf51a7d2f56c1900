// RIFF/WAVE PCM 16-bit writer for Foley clips (used by the CLI; the server may reuse it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace foley {

// Complete WAV file image (44-byte header + interleaved little-endian PCM).
std::string wav_bytes(std::span<const int16_t> interleaved, int sample_rate, int channels);
// Writes it; throws EngineError on I/O failure.
void write_wav(const std::filesystem::path& path, std::span<const int16_t> interleaved, int sample_rate,
               int channels);

}  // namespace foley
