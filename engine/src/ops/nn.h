// Neural-network primitives on raw row-major float32 buffers: norms, activations, rotary
// embedding, fused attention and 1-D convolutions. Callers own every buffer; nothing here
// allocates except the convolution/attention scratch they pass in (kept by the caller so
// sampler steps do not allocate).
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace foley::ops {

// y = LayerNorm(x) over the last dim (`dim`), for `rows` rows; gamma/beta may be null
// (identity / zero). In-place allowed (x == y). Statistics in float64 for stability; the
// result matches torch's float32 layer_norm to ~1e-7 relative.
void layer_norm(const float* x, int64_t rows, int64_t dim, const float* gamma, const float* beta,
                float eps, float* y, int64_t x_stride = 0, int64_t y_stride = 0);

void silu_inplace(float* x, int64_t n);

// x = e^x elementwise (AVX2 polynomial, ≤ 2 ulp; libm for the tail).
void exp_inplace(float* x, int64_t n);

// out = value · SiLU(gate) elementwise (the gated half of a SwiGLU feed-forward).
void swiglu(const float* value, const float* gate, float* out, int64_t n);

// Rotary embedding tables: cos/sin of pos * inv_freq[i] for positions 0..rows-1, computed in
// float32 as torch does (freqs = pos * inv_freq). Built once per token count, not per head.
struct RopeTable {
  std::vector<float> cos, sin;  // [rows, half]
  int64_t rows = 0, half = 0;
  void build(const float* inv_freq, int64_t half, int64_t rows);
};

// Rotary embedding in place on the first 2*half dims of each row of a head (row stride
// `stride`, row r at position r). The rotation pairs (i, i+half) as torch's rotate_half does.
void apply_rope(float* x, int64_t rows, int64_t stride, const RopeTable& table);

// Scratch for attention: one block of scores per call.
struct AttentionScratch {
  std::vector<float> scores;
};

// out[nq, d] = softmax(q·kᵀ·scale)·v for one head, without materialising the full [nq, nk]
// score matrix: queries are processed in blocks of `kQueryBlock` rows. q/k/v/out rows are
// strided (their own leading dimensions) so heads can be read in place from fused
// projections.
void attention_head(const float* q, int64_t q_stride, const float* k, int64_t k_stride,
                    const float* v, int64_t v_stride, float* out, int64_t out_stride, int64_t nq,
                    int64_t nk, int64_t d, float scale, AttentionScratch& scratch);

// Scratch for convolutions (im2col / col2im tiles).
struct ConvScratch {
  std::vector<float> columns;
  std::vector<uint16_t> columns_bf16, input_bf16;
};

// y[cout, tout] = conv1d(x[cin, tin], w[cout, cin, k]) + bias, stride 1, zero padding
// `padding` on both sides, dilation `dilation`. tout = tin + 2p - d(k-1). `accumulate` adds
// into y (residual connections).
// w_bf16 (optional): the same weights as BF16 [cout, cin·k]; when given, the GEMM runs in
// BF16 through oneDNN (gemm_bf16) with float32 accumulation.
void conv1d(const float* x, int64_t cin, int64_t tin, const float* w, int64_t cout, int64_t k,
            const float* bias, int64_t padding, int64_t dilation, float* y, ConvScratch& scratch,
            bool accumulate = false, const uint16_t* w_bf16 = nullptr);
int64_t conv1d_output_length(int64_t tin, int64_t k, int64_t padding, int64_t dilation);

// y[cout, tout] = conv_transpose1d(x[cin, tin], w[cin, cout, k], stride, padding) + bias.
// tout = (tin - 1)·stride − 2·padding + k.
// wt_bf16 (optional): the weights transposed to [cout·k, cin] as BF16 (BF16 GEMM path).
void conv_transpose1d(const float* x, int64_t cin, int64_t tin, const float* w, int64_t cout,
                      int64_t k, const float* bias, int64_t stride, int64_t padding, float* y,
                      ConvScratch& scratch, const uint16_t* wt_bf16 = nullptr);
int64_t conv_transpose1d_output_length(int64_t tin, int64_t k, int64_t stride, int64_t padding);

// SnakeBeta on x[channels, t] in place: x + inv_beta[c]·sin²(alpha[c]·x), with alpha and
// inv_beta already exponentiated (alpha = exp(α), inv_beta = 1/(exp(β) + 1e-9)).
void snake_beta_inplace(float* x, int64_t channels, int64_t t, const float* alpha,
                        const float* inv_beta);
// Same, reading x and writing y (no aliasing).
void snake_beta(const float* x, float* y, int64_t channels, int64_t t, const float* alpha,
                const float* inv_beta);

void elu_inplace(float* x, int64_t n);

}  // namespace foley::ops
