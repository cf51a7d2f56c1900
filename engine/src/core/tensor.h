// Tensor: an owning, row-major float32 array with a shape. The engine's only container for
// activations and weights. Storage is 64-byte aligned so AVX-512 loads of a row start never
// split a cache line. Copies are deep (explicit cost), moves are free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "foley/engine.h"

namespace foley {

using Shape = std::vector<int64_t>;

inline int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

inline std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

class Tensor {
 public:
  Tensor() = default;
  // Zero-initialised tensor of the given shape.
  explicit Tensor(Shape shape) : shape_(std::move(shape)) { allocate(); }
  Tensor(std::initializer_list<int64_t> shape) : shape_(shape) { allocate(); }

  Tensor(const Tensor& other) : shape_(other.shape_) {
    allocate();
    if (numel_) std::memcpy(data_.get(), other.data_.get(), bytes());
  }
  Tensor& operator=(const Tensor& other) {
    if (this != &other) {
      Tensor copy(other);
      *this = std::move(copy);
    }
    return *this;
  }
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  // Size of dimension i; negative i counts from the end as in PyTorch.
  int64_t dim(int i) const {
    if (i < 0) i += ndim();
    if (i < 0 || i >= ndim()) throw EngineError("tensor dimension index out of range");
    return shape_[static_cast<std::size_t>(i)];
  }
  int64_t numel() const { return numel_; }
  std::size_t bytes() const { return static_cast<std::size_t>(numel_) * sizeof(float); }
  bool empty() const { return numel_ == 0; }

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  float& operator[](int64_t i) { return data_.get()[i]; }
  float operator[](int64_t i) const { return data_.get()[i]; }
  std::span<float> span() { return {data_.get(), static_cast<std::size_t>(numel_)}; }
  std::span<const float> span() const { return {data_.get(), static_cast<std::size_t>(numel_)}; }

  // Reinterprets the same elements with another shape (the element count must match).
  void reshape(Shape shape) {
    if (shape_numel(shape) != numel_) {
      throw EngineError("cannot reshape " + shape_string(shape_) + " to " + shape_string(shape));
    }
    shape_ = std::move(shape);
  }
  Tensor reshaped(Shape shape) const& {
    Tensor t(*this);
    t.reshape(std::move(shape));
    return t;
  }
  Tensor reshaped(Shape shape) && {
    reshape(std::move(shape));
    return std::move(*this);
  }

  // Reallocates only when the element count grows, so scratch buffers reused across
  // steps stop allocating after the first step. Contents are unspecified afterwards.
  void resize(Shape shape) {
    int64_t n = shape_numel(shape);
    if (n > capacity_) {
      shape_ = std::move(shape);
      allocate();
    } else {
      shape_ = std::move(shape);
      numel_ = n;
    }
  }

  void fill(float value) {
    for (int64_t i = 0; i < numel_; ++i) data_.get()[i] = value;
  }

 private:
  struct AlignedFree {
    void operator()(float* p) const { std::free(p); }
  };

  void allocate() {
    numel_ = shape_numel(shape_);
    capacity_ = numel_;
    if (numel_ < 0) throw EngineError("negative tensor dimension in " + shape_string(shape_));
    if (numel_ == 0) {
      data_.reset();
      return;
    }
    std::size_t size = (bytes() + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, size);
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, size);
    data_.reset(static_cast<float*>(p));
  }

  Shape shape_;
  int64_t numel_ = 0;
  int64_t capacity_ = 0;
  std::unique_ptr<float[], AlignedFree> data_;
};

// A non-owning view of contiguous float32 data with a shape (e.g. one batch item of a
// Tensor). Valid while the viewed storage lives.
struct TensorView {
  const float* data = nullptr;
  Shape shape;
  int64_t numel() const { return shape_numel(shape); }
};

}  // namespace foley
