// The bound form of a fused_elementwise program for the CPU executor (kernels/cpu/fused.cc):
// registers (node inputs, then instruction results), each a scalar (one element broadcast to
// the whole output), a full-size stream (read or written in place, tile by tile), a broadcast
// input gathered into a tile buffer per tile, or an instruction result in a tile buffer (a
// "slot", reused once its last reader ran). Steps are the instructions as opcodes of the
// vectorized primitives of kernels/cpu/unary.cc and elementwise.cc. Built once per bound kernel.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "graph/dtype.h"
#include "graph/ops/fused.h"
#include "graph/shape.h"
#include "kernels/cpu/fused_jit.h"
#include "kernels/cpu/elementwise_loop.h"

namespace bronze::cpu {

enum class FusedOpcode : uint8_t {
  // f32 unary: y = f(x)
  kRelu, kExp, kNeg, kAbs, kLog, kSqrt, kRsqrt, kReciprocal, kSin, kCos, kTanh, kSigmoid, kSilu,
  kErf, kGeluErf, kGeluTanh, kLeakyRelu, kClip, kFillNaN, kCopy,
  // f32 (dy, t) -> dx
  kReluGrad, kSigmoidGrad, kTanhGrad, kGeluErfGrad, kGeluTanhGrad, kSiluGrad, kLeakyReluGrad,
  kClipGrad,
  // broadcast range functions (elementwise.cc), operands scalar or tile
  kAddF32, kSubF32, kMulF32, kDivF32, kPowF32, kMaximumF32, kMinimumF32, kEqualF32, kLessF32,
  kGreaterF32, kWhereF32, kEqualBool, kLessBool, kGreaterBool, kLogicalAndBool, kLogicalOrBool,
  kWhereBool,
};

enum class FusedRegKind : uint8_t {
  kScalar,  // one element, the same for every output position
  kStream,  // a node input or output with the full output shape: read/written in place
  kGather,  // a broadcast node input, gathered into a slot per tile
  kSlot,    // an instruction result in a tile buffer
};

struct FusedReg {
  DType dtype = DType::kF32;
  FusedRegKind kind = FusedRegKind::kSlot;
  int input = -1;   // node input index (inputs)
  int output = -1;  // node output index an instruction result is written to (kStream)
  int slot = -1;    // tile buffer (kGather, kSlot)
  int scalar = -1;  // index into the per-chunk scalar storage (scalar instruction results)
  BroadcastLoop gather;  // kGather: the input's walk over the output
};

struct FusedStep {
  FusedOpcode code = FusedOpcode::kCopy;
  int nargs = 0;
  int args[3] = {-1, -1, -1};
  int out = -1;
  float p0 = 0, p1 = 0;  // leaky_relu slope; clip bounds
  BroadcastLoop loop;    // for the broadcast range functions: tile operands step, scalars stay
};

struct FusedPlan {
  int64_t numel = 0;  // output elements
  int64_t tile = 0;   // elements per tile
  int num_inputs = 0;
  std::vector<FusedReg> regs;        // inputs, then one per instruction
  std::vector<int> gathers;          // registers gathered at the start of each tile
  std::vector<FusedStep> scalar_steps;  // run once per chunk (all operands scalar)
  std::vector<FusedStep> tile_steps;    // run per tile
  int num_slots = 0;
  int num_scalars = 0;
  std::vector<int> outputs;  // register of each node output
  // Streams too large for the caches: while the steps of one tile run, the executor prefetches
  // the next tile of each input stream and this tile of each output stream, spread over the
  // steps. Without it the first step waits on memory while the others leave it idle.
  bool prefetch = false;
  // Outputs too large to stay in the caches (kStreamingStoreBytes): the compiled program writes
  // them with streaming stores.
  bool nontemporal = false;
  // The program compiled to machine code (kernels/cpu/fused_jit.h), when it qualifies; the
  // executor then runs it instead of the tile steps.
  std::shared_ptr<const FusedJit> jit;
};

// Binds a program (fused_elementwise's, or the elementwise part of a fused_reduction's) for
// these input and output types; false when it needs the op-by-op path (other dtypes, outputs
// of different shapes, an output that is an input).
bool MakeFusedPlan(const FusedProgram& program, std::span<const TensorType> inputs,
                   std::span<const TensorType> outputs, FusedPlan* plan);
// Runs output positions [begin, end) of a bound plan on the calling thread. `in` and `out` hold
// each node input's and output's data; input streams are indexed by position, output streams
// by position - out_origin (so a block buffer can receive positions [out_origin, ...)). No
// output may overlap an input (the primitives take restrict pointers). With `streaming`, a
// compiled program writes large outputs (plan.nontemporal) with streaming stores: pass it only
// when nothing reads the output soon.
void RunFusedRange(const FusedPlan& plan, const void* const* in, void* const* out, int64_t begin,
                   int64_t end, int64_t out_origin = 0, bool streaming = false);

}  // namespace bronze::cpu
