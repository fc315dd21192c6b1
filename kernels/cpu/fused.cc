// The fast CPU executor of fused_elementwise (graph/ops/fused.h): the program runs tile by tile
// (kTile elements, L1-resident) so the only memory traffic is the group's inputs and outputs.
// Each instruction is one call of the same vectorized primitive the unfused op's cpu kernel uses
// (kernels/cpu/unary.cc, elementwise.cc: declared below per Highway target and called directly
// in that target, so a fused op computes bit for bit what the unfused chain does). Inputs with
// the output's shape are read in place, scalars stay scalars (the broadcast loops of the binary
// primitives), other broadcast inputs (a per-row bias) are gathered per tile. Instructions whose
// operands are all scalars run once per chunk. Chunks of whole tiles have fixed boundaries
// (ParallelChunks), so results are bitwise identical for any thread count.
//
// Programs of f32 arithmetic only run as machine code instead (kernels/cpu/fused_jit.h: every
// temporary in a register), where the build and CPU allow. Programs with other dtypes than f32
// and bool, or outputs smaller than the iteration shape, run op by op through the best
// registered kernels (kernels/ref/fused.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/fused.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/aligned_allocator.h"
#include "hwy/cache_control.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/fused_plan.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {

// The primitives, defined in kernels/cpu/unary.cc and kernels/cpu/elementwise.cc for the same
// targets (the same compile flags give the same target list).
void ReluF32(const float* x, float* y, size_t n);
void ExpF32(const float* x, float* y, size_t n);
void NegF32(const float* x, float* y, size_t n);
void AbsF32(const float* x, float* y, size_t n);
void LogF32(const float* x, float* y, size_t n);
void SqrtF32(const float* x, float* y, size_t n);
void RsqrtF32(const float* x, float* y, size_t n);
void ReciprocalF32(const float* x, float* y, size_t n);
void SinF32(const float* x, float* y, size_t n);
void CosF32(const float* x, float* y, size_t n);
void TanhF32(const float* x, float* y, size_t n);
void SigmoidF32(const float* x, float* y, size_t n);
void SiluF32(const float* x, float* y, size_t n);
void ErfOpF32(const float* x, float* y, size_t n);
void GeluErfF32(const float* x, float* y, size_t n);
void GeluTanhF32(const float* x, float* y, size_t n);
void LeakyReluF32(const float* x, float* y, size_t n, float slope);
void ClipF32(const float* x, float* y, size_t n, float lo, float hi);
void ReluGradF32(const float* dy, const float* y, float* dx, size_t n);
void SigmoidGradF32(const float* dy, const float* y, float* dx, size_t n);
void TanhGradF32(const float* dy, const float* y, float* dx, size_t n);
void GeluErfGradF32(const float* dy, const float* x, float* dx, size_t n);
void GeluTanhGradF32(const float* dy, const float* x, float* dx, size_t n);
void SiluGradF32(const float* dy, const float* x, float* dx, size_t n);
void LeakyReluGradF32(const float* dy, const float* x, float* dx, size_t n, float slope);
void ClipGradF32(const float* dy, const float* x, float* dx, size_t n, float lo, float hi);
#define BRONZE_RANGE_DECL(Name)                                                         \
  void Name(const BroadcastLoop& loop, const void* const* in, void* out, int64_t begin, \
            int64_t end);
BRONZE_RANGE_DECL(AddF32)
BRONZE_RANGE_DECL(SubF32)
BRONZE_RANGE_DECL(MulF32)
BRONZE_RANGE_DECL(DivF32)
BRONZE_RANGE_DECL(PowF32)
BRONZE_RANGE_DECL(MaximumF32)
BRONZE_RANGE_DECL(MinimumF32)
BRONZE_RANGE_DECL(EqualF32)
BRONZE_RANGE_DECL(LessF32)
BRONZE_RANGE_DECL(GreaterF32)
BRONZE_RANGE_DECL(WhereF32)
BRONZE_RANGE_DECL(EqualBool)
BRONZE_RANGE_DECL(LessBool)
BRONZE_RANGE_DECL(GreaterBool)
BRONZE_RANGE_DECL(LogicalAndBool)
BRONZE_RANGE_DECL(LogicalOrBool)
BRONZE_RANGE_DECL(WhereBool)
#undef BRONZE_RANGE_DECL

namespace {

using RangeFn = void (*)(const BroadcastLoop&, const void* const*, void*, int64_t, int64_t);

RangeFn RangeOf(FusedOpcode c) {
  switch (c) {
    case FusedOpcode::kAddF32: return &AddF32;
    case FusedOpcode::kSubF32: return &SubF32;
    case FusedOpcode::kMulF32: return &MulF32;
    case FusedOpcode::kDivF32: return &DivF32;
    case FusedOpcode::kPowF32: return &PowF32;
    case FusedOpcode::kMaximumF32: return &MaximumF32;
    case FusedOpcode::kMinimumF32: return &MinimumF32;
    case FusedOpcode::kEqualF32: return &EqualF32;
    case FusedOpcode::kLessF32: return &LessF32;
    case FusedOpcode::kGreaterF32: return &GreaterF32;
    case FusedOpcode::kWhereF32: return &WhereF32;
    case FusedOpcode::kEqualBool: return &EqualBool;
    case FusedOpcode::kLessBool: return &LessBool;
    case FusedOpcode::kGreaterBool: return &GreaterBool;
    case FusedOpcode::kLogicalAndBool: return &LogicalAndBool;
    case FusedOpcode::kLogicalOrBool: return &LogicalOrBool;
    case FusedOpcode::kWhereBool: return &WhereBool;
    default: return nullptr;
  }
}

// Runs one step over n elements; p[k] points at operand k's first element of this tile (a
// scalar's only element), y at the result's.
void RunStep(const FusedStep& s, const void* const* p, void* y, size_t n) {
  const float* x = static_cast<const float*>(p[0]);
  const float* t = s.nargs > 1 ? static_cast<const float*>(p[1]) : nullptr;
  float* yf = static_cast<float*>(y);
  switch (s.code) {
    case FusedOpcode::kRelu: return ReluF32(x, yf, n);
    case FusedOpcode::kExp: return ExpF32(x, yf, n);
    case FusedOpcode::kNeg: return NegF32(x, yf, n);
    case FusedOpcode::kAbs: return AbsF32(x, yf, n);
    case FusedOpcode::kLog: return LogF32(x, yf, n);
    case FusedOpcode::kSqrt: return SqrtF32(x, yf, n);
    case FusedOpcode::kRsqrt: return RsqrtF32(x, yf, n);
    case FusedOpcode::kReciprocal: return ReciprocalF32(x, yf, n);
    case FusedOpcode::kSin: return SinF32(x, yf, n);
    case FusedOpcode::kCos: return CosF32(x, yf, n);
    case FusedOpcode::kTanh: return TanhF32(x, yf, n);
    case FusedOpcode::kSigmoid: return SigmoidF32(x, yf, n);
    case FusedOpcode::kSilu: return SiluF32(x, yf, n);
    case FusedOpcode::kErf: return ErfOpF32(x, yf, n);
    case FusedOpcode::kGeluErf: return GeluErfF32(x, yf, n);
    case FusedOpcode::kGeluTanh: return GeluTanhF32(x, yf, n);
    case FusedOpcode::kLeakyRelu: return LeakyReluF32(x, yf, n, s.p0);
    case FusedOpcode::kClip: return ClipF32(x, yf, n, s.p0, s.p1);
    case FusedOpcode::kFillNaN:  // clip with a NaN bound (as torch.clamp)
      std::fill(yf, yf + n, std::numeric_limits<float>::quiet_NaN());
      return;
    case FusedOpcode::kCopy:  // p0: the element size
      std::memcpy(y, p[0], n * static_cast<size_t>(s.p0));
      return;
    case FusedOpcode::kReluGrad: return ReluGradF32(x, t, yf, n);
    case FusedOpcode::kSigmoidGrad: return SigmoidGradF32(x, t, yf, n);
    case FusedOpcode::kTanhGrad: return TanhGradF32(x, t, yf, n);
    case FusedOpcode::kGeluErfGrad: return GeluErfGradF32(x, t, yf, n);
    case FusedOpcode::kGeluTanhGrad: return GeluTanhGradF32(x, t, yf, n);
    case FusedOpcode::kSiluGrad: return SiluGradF32(x, t, yf, n);
    case FusedOpcode::kLeakyReluGrad: return LeakyReluGradF32(x, t, yf, n, s.p0);
    case FusedOpcode::kClipGrad: return ClipGradF32(x, t, yf, n, s.p0, s.p1);
    default: RangeOf(s.code)(s.loop, p, y, 0, static_cast<int64_t>(n)); return;
  }
}

// Copies (or broadcasts) the elements of a gathered input that output positions [b, b + n)
// read into dst.
void Gather(const BroadcastLoop& g, const uint8_t* src, size_t es, uint8_t* dst, int64_t b,
            int64_t n) {
  const int64_t inner = g.inner;
  for (int64_t pos = b, end = b + n; pos < end;) {
    const int64_t col = pos % inner;
    int64_t row = pos / inner;
    int64_t off = g.inner_step[0] ? col : 0;
    for (size_t d = g.outer.size(); d-- > 0;) {
      off += (row % g.outer[d]) * g.outer_strides[0][d];
      row /= g.outer[d];
    }
    const int64_t len = std::min(inner - col, end - pos);
    const uint8_t* s = src + static_cast<size_t>(off) * es;
    if (g.inner_step[0]) {
      std::memcpy(dst, s, static_cast<size_t>(len) * es);
    } else if (es == 4) {
      float v;
      std::memcpy(&v, s, 4);
      std::fill(reinterpret_cast<float*>(dst), reinterpret_cast<float*>(dst) + len, v);
    } else {
      std::memset(dst, *s, static_cast<size_t>(len));
    }
    dst += static_cast<size_t>(len) * es;
    pos += len;
  }
}

}  // namespace

// Output positions [begin, end) (a whole number of tiles but the last) of a bound program.
// Output streams hold positions from `out_origin` on (a block buffer; 0: the whole output).
// `streaming` lets a compiled program write outputs past the caches with streaming stores
// (plan.nontemporal): only for outputs nothing reads right away.
void RunFusedChunk(const FusedPlan& plan, const void* const* in, void* const* out, int64_t begin,
                   int64_t end, int64_t out_origin, bool streaming) {
  const size_t tile_bytes = static_cast<size_t>(plan.tile) * 4;
  hwy::AlignedFreeUniquePtr<uint8_t[]> scratch;  // the tile slots (interpreted programs only)
  uint64_t scalars[16];
  std::vector<uint64_t> big_scalars;
  uint64_t* sc = scalars;
  if (plan.num_scalars > 16) {
    big_scalars.resize(static_cast<size_t>(plan.num_scalars));
    sc = big_scalars.data();
  }
  auto ptr = [&](int r, int64_t b) -> void* {
    const FusedReg& reg = plan.regs[static_cast<size_t>(r)];
    const size_t es = reg.dtype == DType::kBool ? 1 : 4;
    switch (reg.kind) {
      case FusedRegKind::kScalar:
        return reg.input >= 0 ? const_cast<void*>(in[reg.input])
                              : static_cast<void*>(sc + reg.scalar);
      case FusedRegKind::kStream:
        if (reg.input >= 0) {
          return const_cast<uint8_t*>(static_cast<const uint8_t*>(in[reg.input])) +
                 static_cast<size_t>(b) * es;
        }
        return static_cast<uint8_t*>(out[reg.output]) + static_cast<size_t>(b - out_origin) * es;
      default: return scratch.get() + static_cast<size_t>(reg.slot) * tile_bytes;
    }
  };
  const int64_t steps = std::max<int64_t>(1, static_cast<int64_t>(plan.tile_steps.size()));
  const int64_t share = (plan.tile + steps - 1) / steps;  // elements per step
  const void* p[3];
  for (const FusedStep& s : plan.scalar_steps) {
    for (int k = 0; k < s.nargs; ++k) p[k] = ptr(s.args[k], 0);
    RunStep(s, p, ptr(s.out, 0), 1);
  }
  if (plan.jit) {
    // The compiled program: every register's data (output streams based so that position p is
    // at element p), streaming stores for outputs past the caches (64-byte aligned ones only).
    std::vector<const void*> regs(plan.regs.size(), nullptr);
    bool nontemporal = streaming && plan.nontemporal;
    for (size_t r = 0; r < plan.regs.size(); ++r) {
      const FusedReg& reg = plan.regs[r];
      if (reg.kind == FusedRegKind::kScalar) {
        regs[r] = ptr(static_cast<int>(r), 0);
      } else if (reg.kind == FusedRegKind::kStream && reg.input >= 0) {
        regs[r] = in[reg.input];
      } else if (reg.kind == FusedRegKind::kStream) {
        const uintptr_t base = reinterpret_cast<uintptr_t>(out[reg.output]);
        nontemporal &= (base + static_cast<uintptr_t>(begin) * 4) % 64 == 0;
        regs[r] = reinterpret_cast<const void*>(base - static_cast<uintptr_t>(out_origin) * 4);
      }
    }
    plan.jit->Run(regs.data(), begin, end, nontemporal);
    return;
  }
  scratch = hwy::AllocateAligned<uint8_t>(std::max<size_t>(1, plan.num_slots * tile_bytes));
  // Prefetch targets (plan.prefetch): each input stream's next tile, to be read; each output
  // stream's current tile, to be written (so its lines are owned before the last step stores).
  // Each tile step issues its share of the lines, so the loads overlap the steps' work.
  struct Ahead {
    uint8_t* base;
    size_t es;
    bool write;
  };
  std::vector<Ahead> ahead;
  if (plan.prefetch) {
    for (const FusedReg& reg : plan.regs) {
      if (reg.kind != FusedRegKind::kStream) continue;
      const size_t es = reg.dtype == DType::kBool ? 1 : 4;
      if (reg.input >= 0) {
        ahead.push_back({const_cast<uint8_t*>(static_cast<const uint8_t*>(in[reg.input])), es,
                         false});
      } else {
        ahead.push_back({static_cast<uint8_t*>(out[reg.output]), es, true});
      }
    }
  }
  for (int64_t b = begin; b < end; b += plan.tile) {
    const int64_t n = std::min(plan.tile, end - b);
    for (int r : plan.gathers) {
      const FusedReg& reg = plan.regs[static_cast<size_t>(r)];
      Gather(reg.gather, static_cast<const uint8_t*>(in[reg.input]),
             reg.dtype == DType::kBool ? 1 : 4, static_cast<uint8_t*>(ptr(r, b)), b, n);
    }
    const bool full = n == plan.tile && b + 2 * plan.tile <= end;  // this and the next tile
    int64_t e0 = 0;
    for (const FusedStep& s : plan.tile_steps) {
      if (full) {
        const int64_t e1 = std::min(e0 + share, plan.tile);
        for (const Ahead& a : ahead) {
          const size_t first = static_cast<size_t>(a.write ? b - out_origin : b + plan.tile);
          for (size_t byte = (first + static_cast<size_t>(e0)) * a.es,
                      stop = (first + static_cast<size_t>(e1)) * a.es;
               byte < stop; byte += 64) {
            if (a.write) {
              __builtin_prefetch(a.base + byte, 1, 3);
            } else {
              hwy::Prefetch(a.base + byte);
            }
          }
        }
        e0 = e1;
      }
      for (int k = 0; k < s.nargs; ++k) p[k] = ptr(s.args[k], b);
      RunStep(s, p, ptr(s.out, b), static_cast<size_t>(n));
    }
  }
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <map>
#include <string>

#include "graph/ops/fused.h"
#include "kernels/cast_value.h"
#include "kernels/cpu/cpu_util.h"
#include "kernels/ref/fused.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(RunFusedChunk);

// Elements per tile: 4 KiB of f32, so a chain's few live tiles plus the streamed input and
// output stay in L1.
constexpr int64_t kTile = 1024;
// Tiles per parallel chunk (a chunk's boundaries depend only on the size).
constexpr int64_t kTilesPerChunk = 16;
// Programs whose streams (inputs and outputs of the full shape) hold this many bytes in all
// prefetch them (RunFusedChunk); smaller ones mostly stay in the caches.
constexpr int64_t kPrefetchBytes = int64_t{4} << 20;
// Outputs of this many bytes or more are written with streaming stores by compiled programs
// (four times a core's L2 here: a reader would not find them in cache anyway). W1 (64 MiB
// out), fused kernel / memcpy: 0.91 with ordinary stores, 1.13 with streaming ones.
constexpr int64_t kStreamingStoreBytes = int64_t{16} << 20;

// The opcode of one instruction on these operand dtypes, or false when the executor lacks it.
bool Opcode(const FusedInstr& in, const std::vector<DType>& args, FusedStep* s) {
  const std::string& op = in.op->name;
  const bool f32 = !args.empty() && args.back() == DType::kF32;
  const bool all_f32 =
      std::all_of(args.begin(), args.end(), [](DType d) { return d == DType::kF32; });
  const bool all_bool =
      std::all_of(args.begin(), args.end(), [](DType d) { return d == DType::kBool; });
  static const std::map<std::string, FusedOpcode, std::less<>> kUnary = {
      {"relu", FusedOpcode::kRelu},
      {"exp", FusedOpcode::kExp},
      {"neg", FusedOpcode::kNeg},
      {"abs", FusedOpcode::kAbs},
      {"log", FusedOpcode::kLog},
      {"sqrt", FusedOpcode::kSqrt},
      {"rsqrt", FusedOpcode::kRsqrt},
      {"reciprocal", FusedOpcode::kReciprocal},
      {"sin", FusedOpcode::kSin},
      {"cos", FusedOpcode::kCos},
      {"tanh", FusedOpcode::kTanh},
      {"sigmoid", FusedOpcode::kSigmoid},
      {"silu", FusedOpcode::kSilu},
      {"erf", FusedOpcode::kErf},
      {"relu_grad", FusedOpcode::kReluGrad},
      {"sigmoid_grad", FusedOpcode::kSigmoidGrad},
      {"tanh_grad", FusedOpcode::kTanhGrad},
      {"silu_grad", FusedOpcode::kSiluGrad},
      {"add", FusedOpcode::kAddF32},
      {"sub", FusedOpcode::kSubF32},
      {"mul", FusedOpcode::kMulF32},
      {"div", FusedOpcode::kDivF32},
      {"pow", FusedOpcode::kPowF32},
      {"maximum", FusedOpcode::kMaximumF32},
      {"minimum", FusedOpcode::kMinimumF32}};
  if (op == "stop_gradient") {
    s->code = FusedOpcode::kCopy;
    s->p0 = args[0] == DType::kBool ? 1.0f : 4.0f;
    return true;
  }
  if (all_f32) {
    if (auto it = kUnary.find(op); it != kUnary.end()) {
      s->code = it->second;
      return true;
    }
    const bool tanh_form =
        in.attrs.count("approximate") && in.attrs.at("approximate").s() == "tanh";
    if (op == "gelu") {
      s->code = tanh_form ? FusedOpcode::kGeluTanh : FusedOpcode::kGeluErf;
      return true;
    }
    if (op == "gelu_grad") {
      s->code = tanh_form ? FusedOpcode::kGeluTanhGrad : FusedOpcode::kGeluErfGrad;
      return true;
    }
    if (op == "leaky_relu" || op == "leaky_relu_grad") {
      s->code = op == "leaky_relu" ? FusedOpcode::kLeakyRelu : FusedOpcode::kLeakyReluGrad;
      s->p0 = NarrowToF32(in.attrs.at("negative_slope").f());
      return true;
    }
    if (op == "clip" || op == "clip_grad") {
      const double lo = in.attrs.at("min").f(), hi = in.attrs.at("max").f();
      s->code = op == "clip" ? FusedOpcode::kClip : FusedOpcode::kClipGrad;
      if (op == "clip" && (std::isnan(lo) || std::isnan(hi))) s->code = FusedOpcode::kFillNaN;
      s->p0 = NarrowToF32(lo);
      s->p1 = NarrowToF32(hi);
      return true;
    }
    if (op == "equal")
      s->code = FusedOpcode::kEqualF32;
    else if (op == "less")
      s->code = FusedOpcode::kLessF32;
    else if (op == "greater")
      s->code = FusedOpcode::kGreaterF32;
    else
      return false;
    return true;
  }
  if (all_bool) {
    if (op == "equal")
      s->code = FusedOpcode::kEqualBool;
    else if (op == "less")
      s->code = FusedOpcode::kLessBool;
    else if (op == "greater")
      s->code = FusedOpcode::kGreaterBool;
    else if (op == "logical_and")
      s->code = FusedOpcode::kLogicalAndBool;
    else if (op == "logical_or")
      s->code = FusedOpcode::kLogicalOrBool;
    else if (op == "where")
      s->code = FusedOpcode::kWhereBool;
    else
      return false;
    return true;
  }
  if (op == "where" && args.size() == 3 && args[0] == DType::kBool && f32 &&
      args[1] == DType::kF32) {
    s->code = FusedOpcode::kWhereF32;
    return true;
  }
  return false;
}

bool IsRange(FusedOpcode c) { return c >= FusedOpcode::kAddF32; }

// Builds the tiled plan, or returns false when the program needs the op-by-op path.
bool MakePlan(const FusedProgram& prog, std::span<const TensorType> in_types,
              std::span<const TensorType> outputs, FusedPlan* plan) {
  std::vector<TensorType> types;
  std::vector<TensorType> inputs(in_types.begin(), in_types.end());
  InferFusedTypes(prog, inputs, &types);
  const Dims out_dims = outputs[0].shape.static_dims();
  const int64_t numel = NumElements(out_dims);
  for (size_t k = 0; k < outputs.size(); ++k) {
    if (outputs[k].shape.static_dims() != out_dims) return false;
    if (prog.outputs[k].input) return false;
  }
  plan->numel = numel;
  plan->tile = std::max<int64_t>(1, std::min(kTile, numel));
  plan->num_inputs = static_cast<int>(inputs.size());
  const size_t ni = inputs.size();
  // Node inputs.
  for (size_t k = 0; k < ni; ++k) {
    FusedReg r;
    r.dtype = inputs[k].dtype;
    if (!FusedExecutorSupportsDType(r.dtype)) return false;
    r.input = static_cast<int>(k);
    const Dims d = inputs[k].shape.static_dims();
    if (d.size() > out_dims.size()) return false;
    const int64_t n = NumElements(d);
    if (n == numel) {
      r.kind = FusedRegKind::kStream;  // same element count and broadcastable: same layout
    } else if (n == 1) {
      r.kind = FusedRegKind::kScalar;
    } else {
      r.kind = FusedRegKind::kGather;
      std::vector<Dims> one{d};
      r.gather = MakeBroadcastLoop(out_dims, one);
      r.slot = plan->num_slots++;
      plan->gathers.push_back(static_cast<int>(k));
    }
    plan->regs.push_back(std::move(r));
  }
  auto reg_of = [&](const FusedRef& ref) {
    return ref.input ? ref.index : static_cast<int>(ni) + ref.index;
  };
  // Which instruction results are node outputs (the first output naming each).
  std::vector<int> output_of(prog.instrs.size(), -1);
  for (size_t k = 0; k < prog.outputs.size(); ++k) {
    int& o = output_of[static_cast<size_t>(prog.outputs[k].index)];
    if (o < 0) o = static_cast<int>(k);
  }
  // Last tile step reading each register.
  std::vector<int> last_use(ni + prog.instrs.size(), -1);
  for (size_t i = 0; i < prog.instrs.size(); ++i) {
    for (const FusedRef& a : prog.instrs[i].args)
      last_use[static_cast<size_t>(reg_of(a))] = static_cast<int>(i);
  }
  std::vector<int> free_slots;
  for (size_t i = 0; i < prog.instrs.size(); ++i) {
    const FusedInstr& in = prog.instrs[i];
    FusedStep s;
    s.nargs = static_cast<int>(in.args.size());
    std::vector<DType> arg_types;
    bool all_scalar = true;
    for (int k = 0; k < s.nargs; ++k) {
      s.args[k] = reg_of(in.args[static_cast<size_t>(k)]);
      const FusedReg& a = plan->regs[static_cast<size_t>(s.args[k])];
      arg_types.push_back(a.dtype);
      all_scalar &= a.kind == FusedRegKind::kScalar;
    }
    if (!FusedExecutorSupportsDType(types[i].dtype) || !Opcode(in, arg_types, &s)) return false;
    FusedReg r;
    r.dtype = types[i].dtype;
    s.out = static_cast<int>(ni + i);
    if (all_scalar && numel > 1) {
      r.kind = FusedRegKind::kScalar;
      r.scalar = plan->num_scalars++;
      if (output_of[i] >= 0) return false;  // an output smaller than the others
    } else if (output_of[i] >= 0) {
      r.kind = FusedRegKind::kStream;
      r.output = output_of[i];
    } else {
      r.kind = FusedRegKind::kSlot;
      if (free_slots.empty()) {
        r.slot = plan->num_slots++;
      } else {
        r.slot = free_slots.back();
        free_slots.pop_back();
      }
    }
    // Unary and backward primitives take same-kind operands; a tile op reading a scalar (only
    // the binary range functions broadcast) is not expected, but falls back to be safe.
    if (!IsRange(s.code) && !all_scalar) {
      for (int k = 0; k < s.nargs; ++k) {
        if (plan->regs[static_cast<size_t>(s.args[k])].kind == FusedRegKind::kScalar) return false;
      }
    }
    if (IsRange(s.code)) {
      const Dims full = all_scalar ? Dims{1} : Dims{plan->tile};
      std::vector<Dims> dims;
      for (int k = 0; k < s.nargs; ++k) {
        const bool scalar =
            plan->regs[static_cast<size_t>(s.args[k])].kind == FusedRegKind::kScalar;
        dims.push_back(scalar ? Dims{1} : full);
      }
      s.loop = MakeBroadcastLoop(full, dims);
    }
    const bool scalar_step = r.kind == FusedRegKind::kScalar;
    plan->regs.push_back(std::move(r));
    (scalar_step ? plan->scalar_steps : plan->tile_steps).push_back(s);
    // Slots of results whose last reader this was are free for the next instruction.
    for (int k = 0; k < s.nargs; ++k) {
      const size_t a = static_cast<size_t>(s.args[k]);
      const FusedReg& ar = plan->regs[a];
      if (ar.kind == FusedRegKind::kSlot && last_use[a] == static_cast<int>(i) &&
          std::find(free_slots.begin(), free_slots.end(), ar.slot) == free_slots.end()) {
        free_slots.push_back(ar.slot);
      }
    }
  }
  for (const FusedRef& o : prog.outputs) plan->outputs.push_back(reg_of(o));
  // Streams beyond the caches are prefetched (bench_fused_chain, W1, 8 ops over 16M f32 on 2
  // threads, fused kernel / memcpy: 0.43 without, 0.62 with; writing the output with
  // non-temporal stores instead, from a slot, measured 0.52).
  int64_t stream_bytes = 0;
  for (const FusedReg& r : plan->regs) {
    if (r.kind == FusedRegKind::kStream) stream_bytes += numel * (r.dtype == DType::kBool ? 1 : 4);
  }
  plan->prefetch = stream_bytes >= kPrefetchBytes;
  plan->nontemporal =
      numel * 4 * static_cast<int64_t>(plan->outputs.size()) >= kStreamingStoreBytes;
  plan->jit = CompileFusedJit(*plan);
  return true;
}

class FusedKernel final : public Kernel {
 public:
  explicit FusedKernel(FusedPlan plan) : plan_(std::move(plan)) {}

  void Run(std::span<const Tensor> inputs, std::span<Tensor> outputs,
           ExecContext& ctx) const override {
    std::vector<const void*> in;
    for (const Tensor& t : inputs) in.push_back(t.raw_data());
    std::vector<void*> out;
    for (Tensor& t : outputs) out.push_back(t.raw_data());
    // Outputs named twice in `return` are copies of the first.
    const auto fn = HWY_DYNAMIC_DISPATCH(RunFusedChunk);
    ParallelChunks(ctx, plan_.numel, plan_.tile * kTilesPerChunk,
                   [&](int64_t, int64_t b, int64_t e) { fn(plan_, in.data(), out.data(), b, e, 0, true); });
    for (size_t k = 0; k < outputs.size(); ++k) {
      const FusedReg& r = plan_.regs[static_cast<size_t>(plan_.outputs[k])];
      if (r.output != static_cast<int>(k)) {
        std::memcpy(outputs[k].raw_data(), outputs[static_cast<size_t>(r.output)].raw_data(),
                    outputs[k].nbytes());
      }
    }
  }

 private:
  FusedPlan plan_;
};

std::unique_ptr<Kernel> MakeFusedKernel(const KernelSignature& sig) {
  FusedPlan plan;
  if (MakePlan(ParseFusedProgram(sig.attrs.at("program").s()), sig.inputs, sig.outputs, &plan)) {
    return std::make_unique<FusedKernel>(std::move(plan));
  }
  return ref::MakeOpByOpFusedKernel(sig, "");
}

}  // namespace

bool MakeFusedPlan(const FusedProgram& program, std::span<const TensorType> inputs,
                   std::span<const TensorType> outputs, FusedPlan* plan) {
  return MakePlan(program, inputs, outputs, plan);
}

void RunFusedRange(const FusedPlan& plan, const void* const* in, void* const* out, int64_t begin,
                   int64_t end, int64_t out_origin, bool streaming) {
  HWY_DYNAMIC_DISPATCH(RunFusedChunk)(plan, in, out, begin, end, out_origin, streaming);
}
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuFusedEpilogueKernels(KernelRegistry& r);  // kernels/cpu/fused_epilogue.cc
void RegisterCpuFusedReductionKernels(KernelRegistry& r);  // kernels/cpu/fused_reduction.cc

void RegisterCpuFusedKernels(KernelRegistry& r) {
  RegisterCpuFusedEpilogueKernels(r);
  RegisterCpuFusedReductionKernels(r);
  for (DType d : {DType::kF32, DType::kF64, DType::kI32, DType::kI64, DType::kU8, DType::kBool}) {
    cpu::Register(r, "fused_elementwise", d, KernelFactory(&cpu::MakeFusedKernel));
  }
}

}  // namespace bronze
#endif  // HWY_ONCE
