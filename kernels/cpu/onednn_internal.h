// Internals of the oneDNN layer (kernels/cpu/onednn.cc) shared with the files that add more
// oneDNN-backed classes (kernels/cpu/onednn_gemm.cc, onednn_conv_grad.cc): the epilogue
// helpers, the engine, per-thread streams and scratch buffers, per-call buffers, the chunking
// policy's helpers and the ParallelFor wrapper that keeps OpenMP single-threaded. See kernels/cpu/onednn.h for the threading contract.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "graph/error.h"
#include "kernels/cpu/onednn.h"
#include "kernels/parallel.h"

namespace bronze::onednn::internal {

using dnnl::memory;
using Dt = memory::data_type;
using Tag = memory::format_tag;

// A chunk should carry at least kMinChunkFlops; a problem is cut into at most kMaxChunks.
inline constexpr double kMinChunkFlops = 1e6;
inline constexpr int64_t kMaxChunks = 8;

inline int64_t Pow2Floor(int64_t v) {
  int64_t p = 1;
  while (p * 2 <= v) p *= 2;
  return p;
}

// Chunks for `flops` of work: a power of two in [1, kMaxChunks].
inline int64_t ChunkTarget(double flops) {
  const double parts = std::clamp(flops / kMinChunkFlops, 1.0, static_cast<double>(kMaxChunks));
  return Pow2Floor(static_cast<int64_t>(parts));
}

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t RoundUp(int64_t a, int64_t b) { return CeilDiv(a, b) * b; }

const dnnl::engine& Engine();
// One in-order CPU stream per thread (a stream must not be used by two threads at once).
dnnl::stream& ThreadStream();

// Scratch memory of the calling thread, by slot. A slot is used only between the start and the
// end of one chunk, which runs oneDNN code only and never waits on TBB, so no other chunk can
// interleave on the same thread.
enum Slot { kScratchSlot, kSrcSlot, kWeightsSlot, kDstSlot, kResidualSlot, kNumSlots };
void* ThreadBuffer(Slot slot, size_t bytes);
// The calling thread's scratchpad for a primitive that needs `bytes`.
memory ScratchMemory(size_t bytes);
// A memory object over a tensor's data.
memory Wrap(const memory::desc& md, const float* p);
[[noreturn]] void RethrowDnnl(const dnnl::error& e, const std::string& what);

// The epilogue on a rows x cols block of an output with row stride `ld`, in place: + row_bias[r]
// and/or + col_bias[j] (either may be null), then the residual (same layout as y; null when the
// epilogue has none) and the activation in the epilogue's order.
void EpilogueBlock(const Epilogue& e, int64_t rows, int64_t cols, int64_t ld, const float* row_bias,
                   const float* col_bias, const float* residual, float* y);

// Scratchpad owned by the caller, post-ops per the epilogue; returns the argument index of the
// residual (binary) post-op, or -1.
dnnl::primitive_attr MakeAttr(const Epilogue& e, const memory::desc& dst, int* residual_arg);

// The activation on one value, in double (the epilogue's scalar reference).
float ApplyActivation(Activation a, double v);

// The epilogue alone on a zero product (K = 0): out[r, j] for `rows` rows of `cols` values,
// with the bias indexed by column (`col_of` maps a flat index to its bias index).
template <typename ColOf>
void EpilogueOnly(const Epilogue& e, int64_t total, ColOf col_of, const float* bias,
                  const float* residual, float* out) {
  for (int64_t i = 0; i < total; ++i) {
    double v = e.bias ? bias[col_of(i)] : 0.0;
    if (e.residual && e.residual_before_activation) v += residual[i];
    float y = ApplyActivation(e.activation, v);
    if (e.residual && !e.residual_before_activation) y += residual[i];
    out[i] = y;
  }
}

// A per-call buffer shared by the chunks of one Run (freed when the call ends).
struct CallBuffer {
  explicit CallBuffer(size_t bytes)
      : data(bytes ? static_cast<float*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64))
                   : nullptr) {
    if (bytes && !data)
      throw InternalError("out of memory for " + std::to_string(bytes) + " bytes");
  }
  ~CallBuffer() { std::free(data); }
  CallBuffer(const CallBuffer&) = delete;
  CallBuffer& operator=(const CallBuffer&) = delete;
  float* data;
};

// Runs fn(begin, end) over [0, n) with ParallelFor, OpenMP pinned to one thread in every task and
// oneDNN's execution errors turned into bronze errors.
template <typename F>
void ParallelDnnl(const ExecContext& ctx, int64_t n, const char* what, F&& fn) {
  ParallelFor(ctx, n, 1, [&](int64_t begin, int64_t end) {
    EnsureSingleThreadedOpenMP();
    try {
      fn(begin, end);
    } catch (const dnnl::error& e) {
      throw InternalError(std::string("oneDNN failed to run the ") + what + ": " + e.what());
    }
  });
}

}  // namespace bronze::onednn::internal
