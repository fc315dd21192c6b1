// The fused executor's code generator (kernels/cpu/fused_jit.h): a FusedPlan of f32 streams,
// scalars and temporaries, with arithmetic steps only, becomes one AVX-512 loop (Xbyak) that
// keeps every temporary in a zmm register and touches memory only to read the input streams and
// write the outputs. Layout of the generated function
//   void f(const void* const* regs /*rdi*/, int64_t begin /*rsi*/, int64_t end /*rdx*/,
//          int64_t nontemporal /*rcx*/):
//   - stream base pointers in general registers (r8..r15, rbx, rbp; at most 10 streams);
//   - scalars broadcast once into zmm registers, temporaries (the plan's slots) in zmm0..22;
//   - zmm23..26: 1, 0, |x| mask, sign mask; zmm27: an output step's result; zmm28..29:
//     operands loaded from streams; zmm30..31: a step's constants (slope, clip bounds);
//   - a loop over 16 elements at a time (plain or streaming stores), then one masked pass (k1)
//     over the last 1-15 elements.
// Each opcode is emitted as the instruction sequence that gives what the interpreter's
// Highway primitive gives (kernels/cpu/elementwise.cc, unary.cc), NaNs and signed zeros
// included: maximum(a, b) = a where a is NaN or a > b, else b; relu keeps x unless x < 0.
#include "kernels/cpu/fused_jit.h"

#include <array>
#include <cstring>
#include <exception>
#include <vector>

#include "kernels/cpu/fused_plan.h"

#if defined(BRONZE_WITH_XBYAK) && defined(__x86_64__)
#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>
#define BRONZE_FUSED_JIT 1
#endif

namespace bronze::cpu {

#ifdef BRONZE_FUSED_JIT
namespace {

using namespace Xbyak;  // NOLINT: the generator reads as assembly

// zmm registers with fixed roles (see the file comment). kConst0/1 hold a step's constants
// (slope, clip bounds); kOperand0 + 2 (a third operand) is never loaded: no compiled op takes
// three operands.
constexpr int kOne = 23, kZero = 24, kAbsMask = 25, kSignMask = 26, kResult = 27, kOperand0 = 28;
constexpr int kConst0 = 30, kConst1 = 31;
constexpr int kFirstFree = 0, kLastFree = 22;  // slots, then scalars

bool Supported(FusedOpcode c) {
  switch (c) {
    case FusedOpcode::kAddF32: case FusedOpcode::kSubF32: case FusedOpcode::kMulF32:
    case FusedOpcode::kDivF32: case FusedOpcode::kMaximumF32: case FusedOpcode::kMinimumF32:
    case FusedOpcode::kRelu: case FusedOpcode::kNeg: case FusedOpcode::kAbs:
    case FusedOpcode::kSqrt: case FusedOpcode::kCopy: case FusedOpcode::kReciprocal:
    case FusedOpcode::kRsqrt: case FusedOpcode::kLeakyRelu: case FusedOpcode::kClip:
    case FusedOpcode::kReluGrad: case FusedOpcode::kLeakyReluGrad: case FusedOpcode::kClipGrad:
      return true;
    default:
      return false;
  }
}

class Generator : public CodeGenerator {
 public:
  // Throws (Xbyak::Error) only when the code memory cannot be allocated or made executable.
  // The code buffer is writable while the code is emitted and executable only after (never
  // both).
  explicit Generator(const FusedPlan& plan)
      : CodeGenerator(CodeBytes(plan), DontSetProtectRWE), plan_(plan) {
    Assign();
    Emit();
    setProtectMode(PROTECT_RE);  // (ready() protects only AutoGrow buffers)
  }

  // Whether the plan can be compiled: f32 only, no gathered inputs, supported steps, few
  // enough streams and registers.
  static bool Qualifies(const FusedPlan& plan) {
    int streams = 0, zmms = plan.num_slots;
    for (const FusedReg& r : plan.regs) {
      if (r.dtype != DType::kF32 || r.kind == FusedRegKind::kGather) return false;
      streams += r.kind == FusedRegKind::kStream;
      zmms += r.kind == FusedRegKind::kScalar;
    }
    for (const FusedStep& s : plan.tile_steps) {
      if (!Supported(s.code) || (s.code == FusedOpcode::kCopy && s.p0 != 4.0f)) return false;
    }
    return !plan.tile_steps.empty() && streams <= static_cast<int>(kStreamRegs.size()) &&
           zmms <= kLastFree - kFirstFree + 1;
  }

 private:
  // An upper bound of the code's size: per step at most two loads, four instructions and a
  // store (under 80 bytes) in each of the three loop bodies; per register a load or broadcast.
  static size_t CodeBytes(const FusedPlan& plan) {
    const size_t bytes = 1024 + 256 * plan.tile_steps.size() + 32 * plan.regs.size();
    return (bytes + 4095) / 4096 * 4096;
  }

  static constexpr std::array<int, 10> kStreamRegs = {Operand::R8,  Operand::R9,  Operand::R10,
                                                      Operand::R11, Operand::RBX, Operand::RBP,
                                                      Operand::R12, Operand::R13, Operand::R14,
                                                      Operand::R15};
  static bool CalleeSaved(int idx) {
    return idx == Operand::RBX || idx == Operand::RBP || idx >= Operand::R12;
  }

  void Assign() {
    gpr_.assign(plan_.regs.size(), -1);
    zmm_.assign(plan_.regs.size(), -1);
    int streams = 0, next_zmm = kFirstFree + plan_.num_slots;
    for (size_t r = 0; r < plan_.regs.size(); ++r) {
      const FusedReg& reg = plan_.regs[r];
      if (reg.kind == FusedRegKind::kStream) {
        gpr_[r] = kStreamRegs[static_cast<size_t>(streams++)];
      } else if (reg.kind == FusedRegKind::kSlot) {
        zmm_[r] = kFirstFree + reg.slot;
      } else if (reg.kind == FusedRegKind::kScalar) {
        zmm_[r] = next_zmm++;
      }
    }
  }

  Address At(size_t r) { return ptr[Reg64(gpr_[r]) + rsi * 4]; }

  // Broadcasts the f32 `value` into zmm `z` (through edi: rdi is free once the register
  // pointers are loaded; rax counts the loop, rcx holds the store mode and the tail's shift).
  void Constant(int z, float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    mov(edi, bits);
    vpbroadcastd(Zmm(z), edi);
  }

  // The zmm holding operand k of a step (loaded from its stream when it is one).
  Zmm Load(int r, int k, bool masked) {
    const size_t ri = static_cast<size_t>(r);
    if (zmm_[ri] >= 0) return Zmm(zmm_[ri]);
    const Zmm z(kOperand0 + k);
    if (masked) {
      vmovups(z | k1 | T_z, At(ri));
    } else {
      vmovups(z, At(ri));
    }
    return z;
  }

  void Body(bool masked, bool nontemporal) {
    for (const FusedStep& s : plan_.tile_steps) {
      Zmm a = Load(s.args[0], 0, masked);
      Zmm b = s.nargs > 1 ? Load(s.args[1], 1, masked) : a;
      const size_t out = static_cast<size_t>(s.out);
      const bool to_stream = zmm_[out] < 0;
      const Zmm d = to_stream ? Zmm(kResult) : Zmm(zmm_[out]);
      switch (s.code) {
        case FusedOpcode::kAddF32: vaddps(d, a, b); break;
        case FusedOpcode::kSubF32: vsubps(d, a, b); break;
        case FusedOpcode::kMulF32: vmulps(d, a, b); break;
        case FusedOpcode::kDivF32: vdivps(d, a, b); break;
        case FusedOpcode::kMaximumF32:
        case FusedOpcode::kMinimumF32:
          // a where a is NaN or a > b (a < b), else b.
          vcmpps(k2, a, b, s.code == FusedOpcode::kMaximumF32 ? 0x1E /*GT_OQ*/ : 0x11 /*LT_OQ*/);
          vcmpps(k3, a, a, 0x03 /*UNORD_Q*/);
          korw(k2, k2, k3);
          vblendmps(d | k2, b, a);
          break;
        case FusedOpcode::kRelu:
          vcmpps(k2, a, Zmm(kZero), 0x15 /*NLT_UQ: not x < 0, NaN kept*/);
          vmovaps(d | k2 | T_z, a);
          break;
        case FusedOpcode::kNeg: vpxord(d, a, Zmm(kSignMask)); break;
        case FusedOpcode::kAbs: vpandd(d, a, Zmm(kAbsMask)); break;
        case FusedOpcode::kSqrt: vsqrtps(d, a); break;
        case FusedOpcode::kCopy: vmovaps(d, a); break;
        case FusedOpcode::kReciprocal:  // 1 / x, a division as in the interpreter
          vdivps(d, Zmm(kOne), a);
          break;
        case FusedOpcode::kRsqrt:  // 1 / sqrt(x): a correctly rounded sqrt, then a division
          vsqrtps(d, a);
          vdivps(d, Zmm(kOne), d);
          break;
        case FusedOpcode::kLeakyRelu:  // x where x > 0, else x * slope (NaN * slope)
          Constant(kConst0, s.p0);
          vcmpps(k2, a, Zmm(kZero), 0x1E /*GT_OQ*/);
          vmulps(d, a, Zmm(kConst0));
          vblendmps(d | k2, d, a);
          break;
        case FusedOpcode::kClip:  // r = x < lo ? lo : x; r > hi ? hi : r (NaN x stays)
          Constant(kConst0, s.p0);
          Constant(kConst1, s.p1);
          vcmpps(k2, a, Zmm(kConst0), 0x11 /*LT_OQ*/);
          vblendmps(d | k2, a, Zmm(kConst0));
          vcmpps(k3, d, Zmm(kConst1), 0x1E /*GT_OQ*/);
          vblendmps(d | k3, d, Zmm(kConst1));
          break;
        case FusedOpcode::kReluGrad:  // dy unless y <= 0 (a NaN y passes dy)
          vcmpps(k2, b, Zmm(kZero), 0x16 /*NLE_UQ*/);
          vmovaps(d | k2 | T_z, a);
          break;
        case FusedOpcode::kLeakyReluGrad:  // dy where x > 0, else dy * slope
          Constant(kConst0, s.p0);
          vcmpps(k2, b, Zmm(kZero), 0x1E /*GT_OQ*/);
          vmulps(d, a, Zmm(kConst0));
          vblendmps(d | k2, d, a);
          break;
        case FusedOpcode::kClipGrad:  // dy where lo <= x <= hi (false for NaN), else 0
          Constant(kConst0, s.p0);
          Constant(kConst1, s.p1);
          vcmpps(k2, b, Zmm(kConst0), 0x1D /*GE_OQ*/);
          vcmpps(k3, b, Zmm(kConst1), 0x12 /*LE_OQ*/);
          kandw(k2, k2, k3);
          vmovaps(d | k2 | T_z, a);
          break;
        default: break;  // excluded by Qualifies
      }
      if (!to_stream) continue;
      if (masked) {
        vmovups(At(out) | k1, d);
      } else if (nontemporal) {
        vmovntps(At(out), d);
      } else {
        vmovups(At(out), d);
      }
    }
  }

  void Emit() {
    std::vector<int> saved;
    for (int g : gpr_) {
      if (g >= 0 && CalleeSaved(g)) saved.push_back(g);
    }
    for (int g : saved) push(Reg64(g));
    for (size_t r = 0; r < plan_.regs.size(); ++r) {
      const int off = static_cast<int>(r * sizeof(void*));
      if (gpr_[r] >= 0) {
        mov(Reg64(gpr_[r]), ptr[rdi + off]);
      } else if (plan_.regs[r].kind == FusedRegKind::kScalar) {
        mov(rax, ptr[rdi + off]);
        vbroadcastss(Zmm(zmm_[r]), ptr[rax]);
      }
    }
    // rdi is free from here on.
    vpxord(Zmm(kZero), Zmm(kZero), Zmm(kZero));
    Constant(kOne, 1.0f);
    mov(edi, 0x7fffffff);
    vpbroadcastd(Zmm(kAbsMask), edi);
    mov(edi, 0x80000000);
    vpbroadcastd(Zmm(kSignMask), edi);
    Label plain, streaming, tail, done;
    test(rcx, rcx);
    jz(plain, T_NEAR);
    for (bool nt : {true, false}) {
      Label loop;
      L(nt ? streaming : plain);
      L(loop);
      lea(rax, ptr[rsi + 16]);
      cmp(rax, rdx);
      jg(tail, T_NEAR);
      Body(false, nt);
      mov(rsi, rax);
      jmp(loop, T_NEAR);
    }
    L(tail);
    cmp(rsi, rdx);
    jge(done, T_NEAR);
    mov(rcx, rdx);
    sub(rcx, rsi);
    mov(eax, 1);
    shl(eax, cl);
    sub(eax, 1);
    kmovw(k1, eax);
    Body(true, false);
    L(done);
    sfence();  // streaming stores are visible before the caller signals completion
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) pop(Reg64(*it));
    vzeroupper();
    ret();
  }

  const FusedPlan& plan_;
  std::vector<int> gpr_, zmm_;  // per plan register: its stream base or its zmm, else -1
};

class CompiledFusedJit final : public FusedJit {
 public:
  explicit CompiledFusedJit(const FusedPlan& plan)
      : gen_(plan), fn_(gen_.getCode<void (*)(const void* const*, int64_t, int64_t, int64_t)>()) {}
  void Run(const void* const* regs, int64_t begin, int64_t end, bool nontemporal) const override {
    fn_(regs, begin, end, nontemporal ? 1 : 0);
  }

 private:
  Generator gen_;
  void (*fn_)(const void* const*, int64_t, int64_t, int64_t);
};

}  // namespace

bool FusedJitAvailable() {
  static const bool available = [] {
    util::Cpu cpu;
    return cpu.has(util::Cpu::tAVX512F);
  }();
  return available;
}

std::shared_ptr<const FusedJit> CompileFusedJit(const FusedPlan& plan) {
  if (!FusedJitAvailable() || !Generator::Qualifies(plan)) return nullptr;
  try {
    return std::make_shared<CompiledFusedJit>(plan);
  } catch (const std::exception&) {
    // No executable memory (a system that refuses mprotect to executable, say): interpret.
    return nullptr;
  }
}

#else  // no Xbyak or not x86-64: the interpreter runs every program

bool FusedJitAvailable() { return false; }
std::shared_ptr<const FusedJit> CompileFusedJit(const FusedPlan&) { return nullptr; }

#endif

}  // namespace bronze::cpu
