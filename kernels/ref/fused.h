// The op-by-op executor of a fused_elementwise or fused_reduction program (graph/ops/fused.h):
// each instruction runs through its own registered kernel into a full-size temporary. With
// backend "ref" it is the oracle of the fused ops; the fast CPU executors (kernels/cpu/fused.cc,
// fused_reduction.cc) use it with the best kernels ("") for programs they do not run themselves
// (dtypes other than f32 and bool, reductions over leading axes).
#pragma once

#include <memory>
#include <string_view>

#include "kernels/kernel.h"

namespace bronze::ref {

std::unique_ptr<Kernel> MakeOpByOpFusedKernel(const KernelSignature& sig, std::string_view backend);

// linear_fused / matmul_fused / conv2d_fused (graph/ops/fused_epilogue.cc) as the base op's
// kernel into a temporary, then the epilogue program (EpilogueProgram) op by op, all from
// `backend`: the reference kernel with "ref", the CPU fallback for unsupported shapes with "".
std::unique_ptr<Kernel> MakeCompositeEpilogueKernel(const KernelSignature& sig,
                                                    std::string_view backend);

}  // namespace bronze::ref
