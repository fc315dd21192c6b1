// Machine code for fused_elementwise programs (kernels/cpu/fused_jit.cc): a bound FusedPlan
// whose registers are all f32 streams, scalars and temporaries, and whose steps are plain
// arithmetic (add, sub, mul, div, maximum, minimum, relu, leaky_relu, clip, neg, abs, sqrt,
// rsqrt, reciprocal, copy, and the gradients relu_grad, leaky_relu_grad, clip_grad), is compiled
// with Xbyak into one AVX-512 loop that evaluates the whole program 16 elements at a time in
// registers. Each instruction is the one that gives the tile interpreter's result bit for bit
// (same IEEE operations, same NaN rules). Other plans, builds without Xbyak and CPUs without
// AVX-512 keep the interpreter (kernels/cpu/fused.cc).
#pragma once

#include <cstdint>
#include <memory>

namespace bronze::cpu {

struct FusedPlan;

class FusedJit {
 public:
  virtual ~FusedJit() = default;
  // Positions [begin, end). `regs` holds one pointer per plan register: a stream's data (element
  // p at regs[r] + p), a scalar's value; temporaries are ignored. With `nontemporal`, output
  // streams are written with streaming stores (their addresses must be 64-byte aligned at
  // multiples of 16 elements).
  virtual void Run(const void* const* regs, int64_t begin, int64_t end, bool nontemporal) const = 0;
};

// The compiled program, or nullptr when the plan does not qualify (see above).
std::shared_ptr<const FusedJit> CompileFusedJit(const FusedPlan& plan);
// Whether this build and CPU can compile programs at all (Xbyak and AVX-512F).
bool FusedJitAvailable();

}  // namespace bronze::cpu
