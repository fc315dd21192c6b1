// oneDNN behind bronze's threading. Debian's oneDNN runs on OpenMP; bronze owns the cores with
// TBB, so every oneDNN primitive here is created and executed single-threaded (OpenMP pinned to
// one thread on each calling thread) and the work is split across the session's threads by
// bronze itself, into chunks fixed by the problem size only: GEMMs along M or N (never K),
// convolutions over images and output-channel (or group) blocks. Every chunk runs the same
// single-threaded primitive on the same data whatever the thread count, so results are bitwise
// identical for 1 and 2 threads.
//
// The classes are bound once to static shapes (primitives created in the constructor) and Run
// any number of times, from several threads at once: per-call memory objects wrap the tensors'
// pointers, streams and scratch buffers are per thread. They also carry the epilogue later
// fusion passes ask for: bias, an activation and a residual add, as oneDNN post-ops. (A GEMM
// with at most a bias runs its blocks through dnnl_sgemm instead of a matmul primitive: the
// same oneDNN kernels without a primitive's per-call cost, and faster than the primitive's
// brgemm path for small M, unless b is a constant weight, packed once; a GEMM of at most 4
// rows runs Highway kernels instead,
// kernels/cpu/gemv.h, and some convolutions run as im2col + GEMM, kernels/cpu/conv_im2col.h.)
// All tensors are f32, dense and row-major (NCHW for convolutions).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "graph/ops/linalg.h"
#include "kernels/kernel.h"

namespace bronze::onednn {

// Pins OpenMP to one thread on the calling thread (a cheap check after the first call). Called
// before any oneDNN primitive is created or run.
void EnsureSingleThreadedOpenMP();

enum class Activation : uint8_t { kNone, kRelu, kGeluErf, kGeluTanh, kSigmoid, kTanh };
std::string_view ActivationName(Activation a);

// What follows the product, in order: + bias (per output column / channel), then
//   residual_before_activation: y = act(acc + bias + residual)   (ResNet's relu(conv + x))
//   otherwise:                  y = act(acc + bias) + residual   (a transformer's x + f(x))
// `residual` is a tensor of the output's shape.
struct Epilogue {
  bool bias = false;
  Activation activation = Activation::kNone;
  bool residual = false;
  bool residual_before_activation = false;
  // c = alpha * (a @ b) + beta * c with alpha and beta given to Gemm::RunAccumulate (an update
  // written straight into its target: matmul_sgd_update). Excludes every other part.
  bool accumulate = false;
};

// c = a @ b (+ epilogue) for `batch` products (m, k) @ (k, n) -> (m, n). Product i reads a at
// a_offsets[i] and b at b_offsets[i] (elements; empty offsets: one product at 0) and writes c at
// i*m*n. a is row-major (m, k), or (k, m) when a_transposed; b is row-major (k, n), or (n, k)
// when b_transposed (linear's weight): transposed operands are read in place. Bias has n
// values, or m with bias_per_row (a 1x1 convolution run as W @ x: one per output channel),
// which only an epilogue without activation and residual supports.
struct GemmShape {
  int64_t m = 0, k = 0, n = 0;
  std::vector<int64_t> a_offsets, b_offsets;
  bool a_transposed = false;
  bool b_transposed = false;
  bool bias_per_row = false;
  // b is a weight the plan never writes (KernelSignature::constant_inputs): a single product
  // of more than kGemvMaxRows rows then packs b once into the layout its primitives prefer
  // (oneDNN's blocked weights, as ONNX Runtime prepacks its initializers) and reuses the
  // packed copy while Run is handed the same storage (see Run's `constant_b`).
  bool constant_b = false;
};

class Gemm {
 public:
  Gemm(const GemmShape& shape, const Epilogue& epilogue);
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  // `bias` / `residual` may be null when the epilogue has none. `constant_b`: the tensor b
  // points into, for a shape with constant_b; the packed copy is rebuilt when its storage is
  // another one (Session::set_parameter), never when the same storage is written in place.
  void Run(const ExecContext& ctx, const float* a, const float* b, const float* bias,
           const float* residual, float* c, const Tensor* constant_b = nullptr) const;
  // For an Epilogue with accumulate: c = alpha * (a @ b) + beta * c, c read and written in place
  // (beta * c alone when k = 0). beta = 0 ignores c's old values, as BLAS does.
  void RunAccumulate(const ExecContext& ctx, const float* a, const float* b, float alpha,
                     float beta, float* c) const;
  // Whether this GEMM packs b (shape.constant_b and a shape that gains from it).
  bool packs_b() const;
  // Number of independent chunks the work is cut into (fixed by the shape).
  int64_t chunks() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// conv2d (transposed = false) or conv_transpose2d (true) on NCHW tensors with PyTorch weight
// layouts, for the geometry the shape function computed (graph/ops/linalg.h). Primitives work in
// NHWC, converting per chunk; a 1x1 conv2d without padding and with at most a bias runs as a
// GEMM on the NCHW tensors instead (no conversion).
class Convolution {
 public:
  // `constant_w`: the weights are constant (they may then be packed once; pass the tensor to Run).
  Convolution(const ops::ConvGeometry& geometry, bool transposed, const Epilogue& epilogue,
              bool constant_w = false);
  ~Convolution();
  Convolution(const Convolution&) = delete;
  Convolution& operator=(const Convolution&) = delete;

  // `constant_w`: the tensor w points into when the weights are constant (the kernel's
  // signature says so); a path that packs the weights then packs them once per storage.
  void Run(const ExecContext& ctx, const float* x, const float* w, const float* bias,
           const float* residual, float* y, const Tensor* constant_w = nullptr) const;
  int64_t chunks() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// conv2d's weight gradient (the op conv2d_backward_weight) for the geometry of the forward
// conv2d: dw (C_out, C_in/groups, kH, kW) from its input x and output gradient dy (NCHW), with
// oneDNN's convolution_backward_weights primitive (kernels/cpu/onednn_conv_grad.cc). Chunks are
// blocks of images (each computes a partial dw; the partials are summed in chunk order) or, for
// small batches, blocks of output channels or groups, fixed by the shape.
class ConvolutionBackwardWeights {
 public:
  explicit ConvolutionBackwardWeights(const ops::ConvGeometry& geometry);
  ~ConvolutionBackwardWeights();
  ConvolutionBackwardWeights(const ConvolutionBackwardWeights&) = delete;
  ConvolutionBackwardWeights& operator=(const ConvolutionBackwardWeights&) = delete;

  void Run(const ExecContext& ctx, const float* x, const float* dy, float* dw) const;
  int64_t chunks() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bronze::onednn
