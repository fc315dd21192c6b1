// Shorthands for the fast CPU kernels (backend "cpu"): registration at a priority above the
// reference kernels, so sessions pick them by default, and the threading helpers.
//
// Vectorized code uses Highway with runtime dispatch (never -march=native): a file defines
// HWY_TARGET_INCLUDE as its own path, includes "hwy/foreach_target.h" and "hwy/highway.h",
// writes its loops once inside `namespace bronze::cpu::HWY_NAMESPACE` between
// HWY_BEFORE_NAMESPACE() / HWY_AFTER_NAMESPACE(), and in the `#if HWY_ONCE` part exports them
// with HWY_EXPORT and calls them with HWY_DYNAMIC_DISPATCH. kernels/cpu/unary.cc is the model.
#pragma once

#include "kernels/kernel.h"
#include "kernels/parallel.h"

namespace bronze::cpu {

inline constexpr int kCpuPriority = 10;

inline void Register(KernelRegistry& r, const char* op, DType dtype, ContextKernelFn fn) {
  r.Register(KernelEntry{op, DeviceKind::kCPU, dtype, "cpu", kCpuPriority, FunctionKernel(fn)});
}
inline void Register(KernelRegistry& r, const char* op, DType dtype, KernelFactory factory) {
  r.Register(KernelEntry{op, DeviceKind::kCPU, dtype, "cpu", kCpuPriority, std::move(factory)});
}

}  // namespace bronze::cpu
