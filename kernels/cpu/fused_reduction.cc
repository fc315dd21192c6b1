// The fast CPU executor of fused_reduction (graph/ops/fused.h): one row reduction (softmax,
// log_softmax, layer_norm, reduce_* and logsumexp over trailing axes) with its elementwise
// prologue and epilogue, run a block of rows at a time. Per block:
//   1. the prologue (the instructions computing the reduction's input) runs through the tiled
//      fused executor (kernels/cpu/fused.cc) into a block buffer that stays in cache;
//   2. the reduction's own best CPU kernel reads that buffer and writes the output's rows;
//   3. the epilogue (the instructions reading the reduction's result) runs over those rows of
//      the output, in place.
// So the prologue's result never reaches memory and the epilogue adds no pass over it. Blocks
// have fixed boundaries (a function of the shape), so results are the same at any thread
// count. Programs outside this form (a reduction over leading axes, an epilogue broadcasting
// the result to a larger shape or producing another dtype, other dtypes) run op by op through
// the best kernels (kernels/ref/fused.h).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "graph/ops/fused.h"
#include "hwy/aligned_allocator.h"
#include "kernels/cpu/cpu_util.h"
#include "kernels/cpu/fused_plan.h"
#include "kernels/parallel.h"
#include "kernels/ref/fused.h"

namespace bronze::cpu {
namespace {

// Elements of the reduction's input per block: 32 KiB of f32, so the prologue's block is still
// in L1 (or, for one long row, L2) when the reduction reads it.
constexpr int64_t kBlockElements = 8192;

// The instructions [first, last) of `prog` as a program of their own returning `result`. Every
// operand from outside the range becomes an input of the new program; `sources` receives the
// original reference of each (a node input or an earlier instruction's result).
FusedProgram SubProgram(const FusedProgram& prog, size_t first, size_t last, FusedRef result,
                        std::vector<FusedRef>* sources) {
  FusedProgram sub;
  auto map = [&](const FusedRef& r) {
    if (!r.input && static_cast<size_t>(r.index) >= first) {
      return FusedRef{false, r.index - static_cast<int>(first)};
    }
    auto it = std::find(sources->begin(), sources->end(), r);
    if (it == sources->end()) it = sources->insert(sources->end(), r);
    return FusedRef{true, static_cast<int>(it - sources->begin())};
  };
  for (size_t i = first; i < last; ++i) {
    FusedInstr in = prog.instrs[i];
    for (FusedRef& a : in.args) a = map(a);
    sub.instrs.push_back(std::move(in));
  }
  sub.outputs.push_back(map(result));
  return sub;
}

// An elementwise part (prologue or epilogue) bound for the tiled executor: its plan and where
// each of its inputs comes from.
struct Part {
  FusedPlan plan;
  std::vector<FusedRef> sources;
};

class FusedReductionKernel final : public Kernel {
 public:
  void Run(std::span<const Tensor> inputs, std::span<Tensor> outputs,
           ExecContext& ctx) const override {
    float* out = outputs[0].data<float>();
    const float* x_in = has_prologue_ ? nullptr : inputs[static_cast<size_t>(x_input_)].data<float>();
    std::vector<const void*> pin, ein;
    for (const FusedRef& r : prologue_.sources) pin.push_back(inputs[static_cast<size_t>(r.index)].raw_data());
    for (const FusedRef& r : epilogue_.sources) {
      // The reduction's result is read from the output, where step 2 wrote it.
      ein.push_back(r.input ? inputs[static_cast<size_t>(r.index)].raw_data()
                            : static_cast<const void*>(out));
    }
    ExecContext inner_ctx{1};
    ParallelChunks(ctx, rows_, block_rows_, [&](int64_t, int64_t c0, int64_t c1) {
      hwy::AlignedFreeUniquePtr<float[]> buffer;
      if (has_prologue_) buffer = hwy::AllocateAligned<float>(static_cast<size_t>(block_rows_ * inner_));
      std::vector<Tensor> rin(reduction_inputs_.size());
      for (size_t k = 1; k < rin.size(); ++k) rin[k] = inputs[static_cast<size_t>(reduction_inputs_[k])];
      for (int64_t r0 = c0; r0 < c1; r0 += block_rows_) {
        const int64_t nb = std::min(block_rows_, c1 - r0);
        const Kernel& reduce = nb == block_rows_ ? *full_ : *tail_;
        const float* x = x_in ? x_in + r0 * inner_ : buffer.get();
        if (has_prologue_) {
          void* pout[1] = {buffer.get()};
          RunFusedRange(prologue_.plan, pin.data(), pout, r0 * inner_, (r0 + nb) * inner_,
                        r0 * inner_);
        }
        Dims xd = block_dims_, yd = block_out_dims_;
        xd[0] = nb;
        yd[0] = nb;
        rin[0] = Tensor::View(const_cast<float*>(x), DType::kF32, xd);
        Tensor y = Tensor::View(out + r0 * out_inner_, DType::kF32, yd);
        reduce.Run(rin, std::span<Tensor>(&y, 1), inner_ctx);
        if (has_epilogue_) {
          void* eout[1] = {out};
          RunFusedRange(epilogue_.plan, ein.data(), eout, r0 * out_inner_, (r0 + nb) * out_inner_);
        }
      }
    });
  }

  // Binds the program, or returns nullptr when it is not of the blocked form.
  static std::unique_ptr<Kernel> Make(const KernelSignature& sig);

 private:
  bool has_prologue_ = false, has_epilogue_ = false;
  int x_input_ = -1;                     // without a prologue: the node input the reduction reads
  std::vector<int> reduction_inputs_;    // node inputs of the reduction's operands 1.. (weights)
  Part prologue_, epilogue_;
  int64_t rows_ = 0, inner_ = 0, out_inner_ = 0, block_rows_ = 1;
  Dims block_dims_, block_out_dims_;     // a block's input and output dims (rows first)
  std::unique_ptr<Kernel> full_, tail_;  // the reduction's kernel: full blocks, the last one
};

// The reduction's attributes for a block of rank 1 + m (m trailing axes reduced).
AttrMap BlockAttrs(const FusedInstr& r, int64_t m) {
  AttrMap attrs = r.attrs;
  if (r.op->name == "softmax" || r.op->name == "log_softmax") {
    attrs["axis"] = Attribute(int64_t{-1});
  } else if (r.op->name != "layer_norm") {
    std::vector<int64_t> axes;
    for (int64_t k = 0; k < m; ++k) axes.push_back(k + 1);
    attrs["axes"] = Attribute(axes);
  }
  return attrs;
}

std::unique_ptr<Kernel> FusedReductionKernel::Make(const KernelSignature& sig) {
  const FusedProgram prog = ParseFusedProgram(sig.attrs.at("program").s(), true);
  const size_t ri = static_cast<size_t>(FusedReductionIndex(prog));
  std::vector<TensorType> types;
  InferFusedTypes(prog, sig.inputs, &types);
  const FusedInstr& r = prog.instrs[ri];
  const size_t n = prog.instrs.size();
  // One f32 output, computed by the last instruction (the epilogue writes it in place).
  if (sig.outputs.size() != 1 || prog.outputs[0].input ||
      static_cast<size_t>(prog.outputs[0].index) != n - 1 ||
      sig.outputs[0].dtype != DType::kF32 || types[ri].dtype != DType::kF32) {
    return nullptr;
  }
  const FusedRef x_ref = r.args[0];
  const TensorType& x_type =
      x_ref.input ? sig.inputs[static_cast<size_t>(x_ref.index)] : types[static_cast<size_t>(x_ref.index)];
  if (x_type.dtype != DType::kF32 || !x_type.shape.is_static()) return nullptr;
  auto k = std::make_unique<FusedReductionKernel>();
  // The reduction's other operands (layer_norm's weight and bias) are node inputs.
  k->reduction_inputs_.push_back(-1);
  for (size_t a = 1; a < r.args.size(); ++a) {
    if (!r.args[a].input) return nullptr;
    k->reduction_inputs_.push_back(r.args[a].index);
  }
  // The prologue: instructions 0..ri-1, all computing the reduction's input.
  k->has_prologue_ = !x_ref.input;
  if (k->has_prologue_) {
    if (static_cast<size_t>(x_ref.index) != ri - 1) return nullptr;
    FusedProgram sub = SubProgram(prog, 0, ri, x_ref, &k->prologue_.sources);
    std::vector<TensorType> in;
    for (const FusedRef& s : k->prologue_.sources) in.push_back(sig.inputs[static_cast<size_t>(s.index)]);
    if (!MakeFusedPlan(sub, in, std::span<const TensorType>(&x_type, 1), &k->prologue_.plan)) {
      return nullptr;
    }
  } else {
    if (ri != 0) return nullptr;
    k->x_input_ = x_ref.index;
  }
  // The epilogue: instructions ri+1.., reading the reduction's result and node inputs only, at
  // the result's shape.
  k->has_epilogue_ = ri + 1 < n;
  if (k->has_epilogue_) {
    FusedProgram sub = SubProgram(prog, ri + 1, n, prog.outputs[0], &k->epilogue_.sources);
    std::vector<TensorType> in;
    for (const FusedRef& s : k->epilogue_.sources) {
      if (!s.input && static_cast<size_t>(s.index) != ri) return nullptr;
      in.push_back(s.input ? sig.inputs[static_cast<size_t>(s.index)] : types[ri]);
    }
    if (sig.outputs[0].shape.static_dims() != types[ri].shape.static_dims() ||
        !MakeFusedPlan(sub, in, sig.outputs, &k->epilogue_.plan)) {
      return nullptr;
    }
  }
  // Rows: the leading axes the reduction keeps.
  const int64_t m = RowReductionTrailingAxes(*r.op, r.attrs, x_type.shape.rank());
  if (m == 0) return nullptr;
  const AttrMap attrs = BlockAttrs(r, m);
  const Dims xd = x_type.shape.static_dims();
  const Dims yd = types[ri].shape.static_dims();
  const int64_t lead = static_cast<int64_t>(xd.size()) - m;
  k->rows_ = 1;
  for (int64_t d = 0; d < lead; ++d) k->rows_ *= xd[static_cast<size_t>(d)];
  k->inner_ = NumElements(xd) / std::max<int64_t>(k->rows_, 1);
  k->out_inner_ = NumElements(yd) / std::max<int64_t>(k->rows_, 1);
  if (k->rows_ < 1 || k->inner_ < 1) return nullptr;
  k->block_rows_ = std::clamp<int64_t>(kBlockElements / k->inner_, 1, k->rows_);
  k->block_dims_ = Dims{k->block_rows_};
  k->block_dims_.insert(k->block_dims_.end(), xd.begin() + lead, xd.end());
  // The result's dims past the rows: the kept reduced axes (size 1) or the normalized ones.
  k->block_out_dims_ = Dims{k->block_rows_};
  k->block_out_dims_.insert(k->block_out_dims_.end(), yd.begin() + std::min<int64_t>(lead, static_cast<int64_t>(yd.size())), yd.end());
  // The reduction's own kernels for a full block and the last one.
  const KernelEntry* entry =
      KernelRegistry::Global().Find(r.op->name, DeviceKind::kCPU, DType::kF32);
  if (!entry) return nullptr;
  auto bind = [&](int64_t rows) {
    std::vector<TensorType> in;
    Dims bd = k->block_dims_, bo = k->block_out_dims_;
    bd[0] = rows;
    bo[0] = rows;
    in.push_back(TensorType{DType::kF32, Shape::FromDims(bd)});
    for (size_t a = 1; a < r.args.size(); ++a) in.push_back(sig.inputs[static_cast<size_t>(r.args[a].index)]);
    const TensorType out{DType::kF32, Shape::FromDims(bo)};
    KernelSignature s{r.op->name, attrs, in, std::span<const TensorType>(&out, 1), sig.device};
    return entry->factory(s);
  };
  k->full_ = bind(k->block_rows_);
  const int64_t last = k->rows_ % k->block_rows_;
  if (last) k->tail_ = bind(last);  // else every block is full
  return k;
}

std::unique_ptr<Kernel> MakeFusedReductionKernel(const KernelSignature& sig) {
  if (std::unique_ptr<Kernel> k = FusedReductionKernel::Make(sig)) return k;
  return ref::MakeOpByOpFusedKernel(sig, "");
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuFusedReductionKernels(KernelRegistry& r) {
  for (DType d : {DType::kF32, DType::kF64, DType::kI32, DType::kI64, DType::kU8, DType::kBool}) {
    cpu::Register(r, "fused_reduction", d, KernelFactory(&cpu::MakeFusedReductionKernel));
  }
}

}  // namespace bronze
