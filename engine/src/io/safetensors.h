// Safetensors reader: memory-maps a .safetensors file (8-byte little-endian header length,
// JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, raw data) and
// validates everything up front: header length, JSON, every dtype, shape and offset range
// (in bounds, consistent with shape x dtype size, no two tensors overlapping). Any
// malformed file gives an EngineError naming the file and the tensor; nothing is trusted
// later, so accessors cannot read out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace foley::io {

enum class DType { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool };

const char* dtype_name(DType dtype);
std::size_t dtype_size(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  std::size_t offset = 0;  // from the start of the data section
  std::size_t nbytes = 0;
};

class SafetensorsFile {
 public:
  // Opens and validates the whole header. Throws EngineError naming the file (and tensor).
  static std::unique_ptr<SafetensorsFile> open(const std::filesystem::path& path);
  // Parses an in-memory image of a file (used by the fuzzer and tests). `label` names the
  // source in error messages. The bytes are copied.
  static std::unique_ptr<SafetensorsFile> from_bytes(const void* data, std::size_t size,
                                                     const std::string& label);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return label_; }
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  // Throws EngineError naming file and tensor when absent.
  const TensorInfo& info(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // The tensor converted to float32 (F16/BF16/F64 and integer/bool types are converted
  // value by value).
  Tensor load_f32(const std::string& name) const;
  // Same, and checks the shape; throws EngineError naming tensor, file, expected and found.
  Tensor load_f32(const std::string& name, const Shape& expected_shape) const;
  // Raw little-endian bytes of a tensor (valid while this object lives).
  const unsigned char* raw(const std::string& name) const;

 private:
  SafetensorsFile() = default;
  void parse();

  std::string label_;
  const unsigned char* bytes_ = nullptr;  // whole file image
  std::size_t size_ = 0;
  const unsigned char* data_section_ = nullptr;
  std::size_t data_size_ = 0;
  void* mapping_ = nullptr;               // mmap base when memory-mapped
  std::vector<unsigned char> owned_;      // copy when built from bytes
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Converts one IEEE half / bfloat16 value to float.
float half_to_float(uint16_t h);
float bfloat16_to_float(uint16_t b);

}  // namespace foley::io
