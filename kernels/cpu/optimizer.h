// Pieces of the optimizer kernels (kernels/cpu/optimizer.cc) that fused kernels reuse.
#pragma once

#include <cstdint>

#include "kernels/kernel.h"

namespace bronze::cpu {

// The end of an SGD momentum step whose buffer already holds mu * buf + damp * (a @ b) (a GEMM
// accumulated it, kernels/cpu/fused_epilogue.cc): buf += decay * p (decay = damp * weight_decay,
// skipped when 0), then p -= lr * buf; n elements, split across the context's threads.
void SgdMomentumTail(const ExecContext& ctx, float* p, float* buf, int64_t n, float lr,
                     float decay);

}  // namespace bronze::cpu
