// The copy engine behind the fast CPU shape kernels (kernels/cpu/shape*.cc). Every shape op is
// one or more strided block copies: element m of a block (a multi-index over `dims`) moves from
// src + sum(m[k] * src_strides[k]) to dst + sum(m[k] * dst_strides[k]). StridedCopy merges
// dims that are contiguous in both, then runs the best inner loop (memcpy runs, a broadcast
// fill, a cache-blocked 2-D transpose, or a plain strided loop), split across the session's
// threads with ParallelFor (a pure copy: the result does not depend on the split). Kernels work
// on element sizes, not dtypes, so every dtype shares them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "graph/shape.h"
#include "kernels/cpu/cpu_util.h"

namespace bronze::cpu {

// Bytes of copying below which work stays on one thread (and the grain of parallel splits).
inline constexpr int64_t kCopyGrainBytes = 64 * 1024;

// Copies the block `dims` (strides in elements; source strides may be 0 (broadcast) or negative,
// destination strides must address each destination element once) of elements of `elem_size`
// bytes (1, 2, 4 or 8).
void StridedCopy(const ExecContext& ctx, const Dims& dims, const std::vector<int64_t>& src_strides,
                 const std::vector<int64_t>& dst_strides, const void* src, void* dst,
                 size_t elem_size);

// Sets d[0, len) to `value` (U: an unsigned integer of the element size, 1, 2, 4 or 8 bytes).
template <typename U>
void FillRun(U* d, U value, int64_t len);

// A transpose tile kernel: d[ia * ds + ib] = s[ib * ss + ia] for ia < na, ib < nb.
template <typename U>
using TileFn = void (*)(const U* s, int64_t ss, U* d, int64_t ds, int64_t na, int64_t nb);
// The vectorized ones for 4- and 8-byte elements (kernels/cpu/shape_transpose.cc, Highway).
TileFn<uint32_t> SelectTransposeTile32();
TileFn<uint64_t> SelectTransposeTile64();

// Row-major strides (in elements) of `dims`.
std::vector<int64_t> ContiguousStrides(const Dims& dims);

// gather, one_hot and embedding (kernels/cpu/shape_index.cc).
void RegisterCpuShapeIndexKernels(KernelRegistry& registry);
// slice_backward, pad_backward, gather_backward, embedding_backward (kernels/cpu/shape_grad.cc).
void RegisterCpuShapeGradKernels(KernelRegistry& registry);

}  // namespace bronze::cpu
