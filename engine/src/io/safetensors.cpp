#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace foley::io {

namespace {

// A header larger than this is certainly not a real model header; refusing it avoids
// parsing gigabytes of garbage from a corrupted length field.
constexpr std::size_t kMaxHeaderBytes = 100u << 20;

bool parse_dtype(const std::string& s, DType& out) {
  static const std::map<std::string, DType> table = {
      {"F32", DType::kF32}, {"F16", DType::kF16}, {"BF16", DType::kBF16}, {"F64", DType::kF64},
      {"I64", DType::kI64}, {"I32", DType::kI32}, {"I16", DType::kI16},   {"I8", DType::kI8},
      {"U8", DType::kU8},   {"BOOL", DType::kBool}};
  auto it = table.find(s);
  if (it == table.end()) return false;
  out = it->second;
  return true;
}

template <typename T>
T read_le(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // x86-64 and aarch64 are little-endian like the format
  return v;
}

}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kF64: return "F64";
    case DType::kI64: return "I64";
    case DType::kI32: return "I32";
    case DType::kI16: return "I16";
    case DType::kI8: return "I8";
    case DType::kU8: return "U8";
    case DType::kBool: return "BOOL";
  }
  return "?";
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF64:
    case DType::kI64: return 8;
    case DType::kF32:
    case DType::kI32: return 4;
    case DType::kF16:
    case DType::kBF16:
    case DType::kI16: return 2;
    case DType::kI8:
    case DType::kU8:
    case DType::kBool: return 1;
  }
  return 1;
}

float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while ((mantissa & 0x400u) == 0);
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mantissa & 0x3ffu) << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bfloat16_to_float(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->label_ = path.string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw EngineError(file->label_ + ": cannot open: " + std::strerror(errno));
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw EngineError(file->label_ + ": not a regular file");
  }
  file->size_ = static_cast<std::size_t>(st.st_size);
  if (file->size_ < 8) {
    ::close(fd);
    throw EngineError(file->label_ + ": file too short for a safetensors header (" +
                      std::to_string(file->size_) + " bytes)");
  }
  void* map = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw EngineError(file->label_ + ": mmap failed: " + std::strerror(errno));
  file->mapping_ = map;
  file->bytes_ = static_cast<const unsigned char*>(map);
  file->parse();
  return file;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::from_bytes(const void* data, std::size_t size,
                                                             const std::string& label) {
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->label_ = label;
  const auto* p = static_cast<const unsigned char*>(data);
  file->owned_.assign(p, p + size);
  file->bytes_ = file->owned_.data();
  file->size_ = size;
  if (size < 8) {
    throw EngineError(label + ": file too short for a safetensors header (" +
                      std::to_string(size) + " bytes)");
  }
  file->parse();
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_) ::munmap(mapping_, size_);
}

void SafetensorsFile::parse() {
  const uint64_t header_len = read_le<uint64_t>(bytes_);
  if (header_len > size_ - 8 || header_len > kMaxHeaderBytes) {
    throw EngineError(label_ + ": header length " + std::to_string(header_len) +
                      " exceeds the file size (" + std::to_string(size_) + " bytes)");
  }
  const char* header = reinterpret_cast<const char*>(bytes_ + 8);
  data_section_ = bytes_ + 8 + header_len;
  data_size_ = size_ - 8 - static_cast<std::size_t>(header_len);

  nlohmann::json root = nlohmann::json::parse(header, header + header_len, nullptr, false);
  if (root.is_discarded()) throw EngineError(label_ + ": header is not valid JSON");
  if (!root.is_object()) throw EngineError(label_ + ": header JSON is not an object");

  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& entry = it.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) throw EngineError(label_ + ": __metadata__ is not an object");
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        metadata_[m.key()] = m.value().is_string() ? m.value().get<std::string>() : m.value().dump();
      }
      continue;
    }
    const std::string where = label_ + ": tensor '" + name + "'";
    if (!entry.is_object()) throw EngineError(where + ": entry is not an object");
    auto dtype_it = entry.find("dtype");
    auto shape_it = entry.find("shape");
    auto offsets_it = entry.find("data_offsets");
    if (dtype_it == entry.end() || !dtype_it->is_string()) throw EngineError(where + ": missing dtype");
    if (shape_it == entry.end() || !shape_it->is_array()) throw EngineError(where + ": missing shape");
    if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2) {
      throw EngineError(where + ": data_offsets must be [begin, end]");
    }
    TensorInfo info;
    info.name = name;
    const std::string dtype_str = dtype_it->get<std::string>();
    if (!parse_dtype(dtype_str, info.dtype)) throw EngineError(where + ": unsupported dtype '" + dtype_str + "'");

    // Element count with overflow checks: a hostile shape must not wrap around.
    uint64_t count = 1;
    for (const auto& d : *shape_it) {
      if (!d.is_number_unsigned() && !(d.is_number_integer() && d.get<int64_t>() >= 0)) {
        throw EngineError(where + ": shape entries must be non-negative integers");
      }
      uint64_t v = d.get<uint64_t>();
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        throw EngineError(where + ": shape dimension too large");
      }
      if (v != 0 && count > std::numeric_limits<uint64_t>::max() / v / 8) {
        throw EngineError(where + ": shape is too large");
      }
      count *= v;
      info.shape.push_back(static_cast<int64_t>(v));
    }
    const auto& b = (*offsets_it)[0];
    const auto& e = (*offsets_it)[1];
    if (!b.is_number_unsigned() || !e.is_number_unsigned()) {
      throw EngineError(where + ": data_offsets must be non-negative integers");
    }
    uint64_t begin = b.get<uint64_t>(), end = e.get<uint64_t>();
    if (begin > end || end > data_size_) {
      throw EngineError(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                        "] out of range of the data section (" + std::to_string(data_size_) + " bytes)");
    }
    uint64_t expected = count * dtype_size(info.dtype);
    if (end - begin != expected) {
      throw EngineError(where + ": data_offsets span " + std::to_string(end - begin) + " bytes but shape " +
                        shape_string(info.shape) + " of " + dtype_str + " needs " + std::to_string(expected));
    }
    info.offset = static_cast<std::size_t>(begin);
    info.nbytes = static_cast<std::size_t>(expected);
    tensors_.emplace(name, std::move(info));
  }

  // No two tensors may share bytes (a corrupted file could alias weights).
  std::vector<const TensorInfo*> by_offset;
  for (const auto& [name, info] : tensors_) {
    if (info.nbytes) by_offset.push_back(&info);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->offset < by_offset[i - 1]->offset + by_offset[i - 1]->nbytes) {
      throw EngineError(label_ + ": tensor '" + by_offset[i]->name + "' overlaps tensor '" +
                        by_offset[i - 1]->name + "'");
    }
  }
}

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw EngineError(label_ + ": missing tensor '" + name + "'");
  return it->second;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [name, info] : tensors_) out.push_back(name);
  return out;
}

const unsigned char* SafetensorsFile::raw(const std::string& name) const {
  return data_section_ + info(name).offset;
}

Tensor SafetensorsFile::load_f32(const std::string& name) const {
  const TensorInfo& ti = info(name);
  Tensor out(ti.shape);
  const unsigned char* src = data_section_ + ti.offset;
  float* dst = out.data();
  const int64_t n = out.numel();
  switch (ti.dtype) {
    case DType::kF32:
      if (n) std::memcpy(dst, src, ti.nbytes);
      break;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(read_le<uint16_t>(src + 2 * i));
      break;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = bfloat16_to_float(read_le<uint16_t>(src + 2 * i));
      break;
    case DType::kF64:
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(read_le<double>(src + 8 * i));
      break;
    case DType::kI64:
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(read_le<int64_t>(src + 8 * i));
      break;
    case DType::kI32:
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(read_le<int32_t>(src + 4 * i));
      break;
    case DType::kI16:
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(read_le<int16_t>(src + 2 * i));
      break;
    case DType::kI8:
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(static_cast<int8_t>(src[i]));
      break;
    case DType::kU8:
    case DType::kBool:
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]);
      break;
  }
  return out;
}

Tensor SafetensorsFile::load_f32(const std::string& name, const Shape& expected_shape) const {
  const TensorInfo& ti = info(name);
  if (ti.shape != expected_shape) {
    throw EngineError(label_ + ": tensor '" + name + "' has shape " + shape_string(ti.shape) +
                      ", expected " + shape_string(expected_shape));
  }
  return load_f32(name);
}

}  // namespace foley::io
