// Broadcast loop plans for the fast elementwise kernels (kernels/cpu/elementwise.cc). A plan is
// made once, when a kernel is bound to concrete shapes: size-1 output dims are dropped and
// adjacent dims merged wherever every operand is contiguous across them (or broadcast along
// both), so same-shape operands and scalars become one contiguous run, [M, N] op [N] becomes M
// runs of N with both operands advancing, and [M, N] op [M, 1] M runs with b fixed per run. The
// innermost merged dim is the contiguous run of the output; along it each input either advances
// one element per output element or stays put (broadcast), so the vector loops specialize on
// that per input and walk the outer dims with an odometer once per run.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "graph/shape.h"

namespace bronze::cpu {

inline constexpr int kMaxLoopInputs = 3;

struct BroadcastLoop {
  int num_inputs = 0;
  int64_t numel = 0;  // output elements
  int64_t inner = 1;  // length of the innermost merged dim: one contiguous run of the output
  // Whether input k advances along the inner dim (else it is broadcast there and stays put).
  bool inner_step[kMaxLoopInputs] = {};
  // The merged outer dims, outermost first (empty: one run covers the whole output), and each
  // input's element stride along them (0 where it is broadcast).
  Dims outer;
  std::vector<int64_t> outer_strides[kMaxLoopInputs];

  // Bit k set when inner_step[k].
  unsigned StepMask() const {
    unsigned m = 0;
    for (int k = 0; k < num_inputs; ++k) m |= inner_step[k] ? 1u << k : 0u;
    return m;
  }
};

// The plan for an output of dims `out` computed from contiguous row-major `inputs` that
// broadcast to it (NumPy rules: right-aligned, each dim equal or 1).
BroadcastLoop MakeBroadcastLoop(const Dims& out, std::span<const Dims> inputs);

}  // namespace bronze::cpu
