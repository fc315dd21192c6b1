// Shared between the files of the reduce family's fast CPU kernels (kernels/cpu/reduce*.cc):
// the fixed block sizes that make results independent of the thread count, and the
// registration of the softmax kernels (kernels/cpu/reduce_softmax.cc) and of their backward ops.
#pragma once

#include <cstdint>

#include "kernels/kernel.h"

namespace bronze::cpu {

// A long reduction is cut into fixed chunks of this many elements, each reduced on its own and
// the partials combined in chunk order. The cut depends only on the problem size.
inline constexpr int64_t kReduceChunk = int64_t{1} << 16;
// Chunk only when there are fewer independent outputs (or output tiles) than this: with more,
// whole outputs are spread over the threads and each is reduced sequentially.
inline constexpr int64_t kReduceMinTasks = 16;

void RegisterCpuSoftmaxKernels(KernelRegistry& r);
// softmax_grad and log_softmax_grad (kernels/cpu/reduce_softmax_grad.cc).
void RegisterCpuSoftmaxGradKernels(KernelRegistry& r);

}  // namespace bronze::cpu
