// Named-weight access for model parts: shape-checked loads (errors name tensor and file) and
// weight-norm folding (w = g·v/‖v‖) done once at load time.
#pragma once

#include <string>

#include "core/tensor.h"
#include "io/safetensors.h"

namespace foley {

class WeightReader {
 public:
  WeightReader(const io::SafetensorsFile& file, std::string prefix)
      : file_(file), prefix_(std::move(prefix)) {}

  WeightReader sub(const std::string& name) const { return WeightReader(file_, prefix_ + name + "."); }
  bool has(const std::string& name) const { return file_.contains(prefix_ + name); }
  Tensor get(const std::string& name, const Shape& shape) const {
    return file_.load_f32(prefix_ + name, shape);
  }
  // A tensor whose shape is only known from the file (validated by the caller).
  Tensor get_any(const std::string& name) const { return file_.load_f32(prefix_ + name); }
  const Shape& shape_of(const std::string& name) const { return file_.info(prefix_ + name).shape; }
  std::string full_name(const std::string& name) const { return prefix_ + name; }
  const std::string& file_path() const { return file_.path(); }

  // A weight-normed Conv1d: `weight_g` [out,1,1] and `weight_v` [out,in,k], folded per
  // output channel. A plain `weight` (already folded) is accepted too.
  Tensor conv_weight(const std::string& module, const Shape& shape) const;
  // A weight-normed ConvTranspose1d: v [in,out,k], g [in,1,1], folded per INPUT channel
  // (torch's weight_norm uses dim 0, which is the input dim for transposed convs).
  Tensor conv_transpose_weight(const std::string& module, const Shape& shape) const {
    return conv_weight(module, shape);
  }

 private:
  const io::SafetensorsFile& file_;
  std::string prefix_;
};

}  // namespace foley
