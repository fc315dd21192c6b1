// The fast CPU executor of fused_reduction (graph/ops/fused.h): one row reduction (softmax,
// log_softmax, layer_norm, reduce_* and logsumexp over trailing axes, a pointwise loss, or
// cross_entropy / nll over (N, C) rows; a loss's "mean" and "sum" add per-block sums in block
// order, and a class-index loss's mean divides by the non-ignored targets) with its elementwise
// prologue and epilogue, run a block of rows at a time. Per block:
//   1. the prologue (the instructions computing the reduction's input) runs through the tiled
//      fused executor (kernels/cpu/fused.cc) into a block buffer that stays in cache;
//   2. the reduction's own best CPU kernel reads that buffer and writes a second block buffer
//      (or, without an epilogue, the output's rows);
//   3. the epilogue (the instructions reading the reduction's result) reads that buffer and
//      writes the output's rows.
// So the prologue's and the reduction's results never reach memory. Blocks have fixed
// boundaries (a function of the shape), so results are the same at any thread count. A few
// rows longer than a block go row by row, each step over every thread. Programs outside this
// form (a reduction over leading axes, an epilogue broadcasting the result to a larger shape,
// other dtypes, empty rows) run op by op through the best kernels (kernels/ref/fused.h).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
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

// `p` moved back by `elements` f32 values, so that position `elements` reads p[0]: how a
// block buffer stands in for a full-size stream in RunFusedRange (only positions inside the
// block are read).
const void* BasedAt(const float* p, int64_t elements) {
  return reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(p) -
                                       static_cast<uintptr_t>(elements) * sizeof(float));
}

class FusedReductionKernel final : public Kernel {
 public:
  void Run(std::span<const Tensor> inputs, std::span<Tensor> outputs,
           ExecContext& ctx) const override {
    Io io;
    io.out = outputs[0].raw_data();
    if (!has_prologue_) io.x = inputs[static_cast<size_t>(x_input_)].data<float>();
    for (const FusedRef& r : prologue_.sources) {
      io.pin.push_back(inputs[static_cast<size_t>(r.index)].raw_data());
    }
    // The reduction's result comes from a block buffer (set per block).
    for (const FusedRef& r : epilogue_.sources) {
      io.ein.push_back(r.input ? inputs[static_cast<size_t>(r.index)].raw_data() : nullptr);
    }
    io.rin.resize(operands_.size() + 1);
    for (size_t k = 0; k < operands_.size(); ++k) {
      io.rin[k + 1] = inputs[static_cast<size_t>(operands_[k].input)];
    }
    std::vector<float> partials(partial_ ? static_cast<size_t>(NumBlocks()) : 0);
    io.partials = partials.data();
    if (block_rows_ == 1 && rows_ < 2 * ctx.threads) {
      RunLongRows(io, ctx);
    } else {
      ExecContext one{1};
      ParallelChunks(ctx, rows_, block_rows_ * blocks_per_chunk_,
                     [&](int64_t, int64_t c0, int64_t c1) {
                       Io local = io;
                       Buffers buf = Allocate(block_rows_);
                       for (int64_t r0 = c0; r0 < c1; r0 += block_rows_) {
                         RunRows(local, buf, r0, std::min(block_rows_, c1 - r0), one, one);
                       }
                     });
    }
    if (partial_) Finish(io);
  }

  // Binds the program, or returns nullptr when it is not of the blocked form.
  static std::unique_ptr<Kernel> Make(const KernelSignature& sig);

 private:
  // The data of one run.
  struct Io {
    void* out = nullptr;
    const float* x = nullptr;       // the reduction's input, when no prologue computes it
    std::vector<const void*> pin;   // the prologue's inputs
    std::vector<const void*> ein;   // the epilogue's inputs
    std::vector<Tensor> rin;        // the reduction's inputs (0 and cut ones: set per block)
    float* partials = nullptr;      // partial_: each block's sum (blocks write their own)
  };
  struct Buffers {
    hwy::AlignedFreeUniquePtr<float[]> x, y;  // the prologue's and the reduction's results
  };
  Buffers Allocate(int64_t rows) const {
    Buffers b;
    if (has_prologue_) b.x = hwy::AllocateAligned<float>(static_cast<size_t>(rows * inner_));
    if (has_epilogue_ && !partial_) {  // a loss's scalar goes through Io::partials
      b.y = hwy::AllocateAligned<float>(static_cast<size_t>(rows * out_inner_));
    }
    return b;
  }

  // Rows [r0, r0 + nb): the prologue into buf.x, the reduction into buf.y (or the output when
  // nothing follows it), the epilogue into the output. The elementwise parts split their
  // positions over `part_ctx`, the reduction runs with `reduce_ctx`.
  void RunRows(Io& io, const Buffers& buf, int64_t r0, int64_t nb, const ExecContext& part_ctx,
               ExecContext& reduce_ctx) const {
    const int64_t x0 = r0 * inner_, x1 = (r0 + nb) * inner_;
    const int64_t y0 = r0 * out_inner_, y1 = (r0 + nb) * out_inner_;
    if (has_prologue_) {
      void* pout[1] = {buf.x.get()};
      ParallelChunks(part_ctx, x1 - x0, kPartChunk, [&](int64_t, int64_t b, int64_t e) {
        RunFusedRange(prologue_.plan, io.pin.data(), pout, x0 + b, x0 + e, x0);
      });
    }
    Dims xd = block_dims_, yd = block_out_dims_;
    xd[0] = nb;
    yd[0] = nb;
    const float* x = has_prologue_ ? buf.x.get() : io.x + x0;
    io.rin[0] = Tensor::View(const_cast<float*>(x), DType::kF32, xd);
    std::vector<Tensor> rin = io.rin;  // operands cut with the rows: this block's rows
    for (size_t k = 0; k < operands_.size(); ++k) {
      const Operand& o = operands_[k];
      if (o.per_row == 0) continue;
      Dims d = o.trailing;
      d.insert(d.begin(), nb);
      rin[k + 1] = Tensor::View(static_cast<char*>(io.rin[k + 1].raw_data()) +
                                    r0 * o.per_row * static_cast<int64_t>(DTypeSize(o.dtype)),
                                o.dtype, d);
    }
    const Kernel& reduce = nb == block_rows_ ? *full_ : *tail_;
    if (partial_) {  // this block's sum, added up in Finish
      Tensor yt = Tensor::View(io.partials + r0 / block_rows_, DType::kF32, {});
      reduce.Run(rin, std::span<Tensor>(&yt, 1), reduce_ctx);
      return;
    }
    float* y = has_epilogue_ ? buf.y.get() : static_cast<float*>(io.out) + y0;
    Tensor yt = Tensor::View(y, DType::kF32, yd);
    reduce.Run(rin, std::span<Tensor>(&yt, 1), reduce_ctx);
    if (has_epilogue_) {
      io.ein[static_cast<size_t>(result_source_)] = BasedAt(y, y0);
      void* eout[1] = {io.out};
      ParallelChunks(part_ctx, y1 - y0, kPartChunk, [&](int64_t, int64_t b, int64_t e) {
        // The output as any fused_elementwise output: streaming stores when it is large.
        RunFusedRange(epilogue_.plan, io.ein.data(), eout, y0 + b, y0 + e, 0, true);
      });
    }
  }

  // Fewer rows longer than a block than twice the threads: blocks of rows would leave threads
  // idle, so row by row, each step spread over every thread (the reduction's own long-row
  // split included).
  // Its row buffers are as large as a row (megabytes), so they are kept between runs, one pair
  // per concurrent run, rather than faulted in again every time.
  void RunLongRows(Io& io, ExecContext& ctx) const {
    Buffers buf;
    {
      std::lock_guard<std::mutex> lock(pool_mutex_);
      if (!pool_.empty()) {
        buf = std::move(pool_.back());
        pool_.pop_back();
      }
    }
    if (!buf.x && !buf.y) buf = Allocate(1);  // (nothing to allocate without either part)
    for (int64_t r = 0; r < rows_; ++r) RunRows(io, buf, r, 1, ctx, ctx);
    std::lock_guard<std::mutex> lock(pool_mutex_);
    pool_.push_back(std::move(buf));
  }

  // A loss reduced to a scalar: the blocks' sums added in block order (any thread count gives
  // the same order), divided by the element count for "mean", then the epilogue.
  void Finish(Io& io) const {
    double sum = 0;
    for (int64_t b = 0; b < NumBlocks(); ++b) sum += io.partials[b];
    double count = static_cast<double>(rows_ * inner_);
    if (count_targets_) count = static_cast<double>(CountTargets(io.rin[1]));
    const float value = static_cast<float>(mean_ ? sum / count : sum);
    if (!has_epilogue_) {
      *static_cast<float*>(io.out) = value;
      return;
    }
    io.ein[static_cast<size_t>(result_source_)] = &value;
    void* eout[1] = {io.out};
    RunFusedRange(epilogue_.plan, io.ein.data(), eout, 0, 1);
  }

  int64_t NumBlocks() const { return (rows_ + block_rows_ - 1) / block_rows_; }

  // The targets that are not ignore_index (the class-index loss's mean denominator).
  int64_t CountTargets(const Tensor& target) const {
    int64_t n = 0;
    auto count = [&](const auto* t) {
      for (int64_t i = 0; i < rows_; ++i) n += t[i] != ignore_index_;
    };
    if (target.dtype() == DType::kI32) {
      count(target.data<int32_t>());
    } else {
      count(target.data<int64_t>());
    }
    return n;
  }

  // Elements per task of the elementwise parts on a long row.
  static constexpr int64_t kPartChunk = 16384;

  // The reduction's operands after the first: a node input, passed whole (layer_norm's weight)
  // or, with per_row > 0, cut with the rows (a loss's target: per_row elements of dims
  // `trailing` per row).
  struct Operand {
    int input = -1;
    int64_t per_row = 0;
    Dims trailing;
    DType dtype = DType::kF32;
  };
  std::vector<Operand> operands_;
  bool partial_ = false;  // a loss reduced to a scalar ("sum" or "mean"): per-block sums
  bool mean_ = false;     // ... divided by the element count
  // A class-index loss's "mean" divides by the rows whose target (operands_[0]) is not this.
  bool count_targets_ = false;
  int64_t ignore_index_ = 0;

  bool has_prologue_ = false, has_epilogue_ = false;
  int x_input_ = -1;                     // without a prologue: the node input the reduction reads
  int result_source_ = -1;               // the epilogue input that is the reduction's result
  int64_t blocks_per_chunk_ = 1;         // blocks per parallel task
  Part prologue_, epilogue_;
  int64_t rows_ = 0, inner_ = 0, out_inner_ = 0, block_rows_ = 1;
  Dims block_dims_, block_out_dims_;     // a block's input and output dims (rows first)
  mutable std::mutex pool_mutex_;
  mutable std::vector<Buffers> pool_;    // RunLongRows' buffers between runs
  std::unique_ptr<Kernel> full_, tail_;  // the reduction's kernel: full blocks, the last one
};

// The reduction's attributes for a block of rank 1 + m (m trailing axes reduced).
AttrMap BlockAttrs(const FusedInstr& r, int64_t m) {
  AttrMap attrs = r.attrs;
  if (r.op->name == "softmax" || r.op->name == "log_softmax") {
    attrs["axis"] = Attribute(int64_t{-1});
  } else if (PointwiseLoss(r.op->name) || ClassIndexLoss(r.op->name)) {
    // "mean" and "sum": each block's sum (FusedReductionKernel::Finish adds them up).
    if (attrs.at("reduction").s() != "none") attrs["reduction"] = Attribute(std::string("sum"));
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
  // One output, computed by an instruction; an f32 reduction.
  if (sig.outputs.size() != 1 || prog.outputs[0].input || types[ri].dtype != DType::kF32) {
    return nullptr;
  }
  const FusedRef x_ref = r.args[0];
  const TensorType& x_type =
      x_ref.input ? sig.inputs[static_cast<size_t>(x_ref.index)] : types[static_cast<size_t>(x_ref.index)];
  if (x_type.dtype != DType::kF32 || !x_type.shape.is_static()) return nullptr;
  auto k = std::make_unique<FusedReductionKernel>();
  // The reduction's other operands are node inputs: layer_norm's weight and bias and a loss's
  // pos_weight whole, a loss's target cut with the rows (below).
  // A class-index loss's target: (N) integer class indices, one per row.
  const bool class_loss = ClassIndexLoss(r.op->name);
  const bool loss = PointwiseLoss(r.op->name) || class_loss;
  for (size_t a = 1; a < r.args.size(); ++a) {
    if (!r.args[a].input) return nullptr;
    Operand o;
    o.input = r.args[a].index;
    o.dtype = sig.inputs[static_cast<size_t>(o.input)].dtype;
    if (loss && a == 1) o.per_row = -1;  // set with the rows
    k->operands_.push_back(o);
  }
  if (loss) {
    const std::string& reduction = r.attrs.at("reduction").s();
    k->partial_ = reduction != "none";
    k->mean_ = reduction == "mean";
  }
  if (class_loss) {
    if (k->operands_.size() != 1 ||
        (k->operands_[0].dtype != DType::kI32 && k->operands_[0].dtype != DType::kI64)) {
      return nullptr;
    }
    k->count_targets_ = k->mean_;
    k->ignore_index_ = r.attrs.at("ignore_index").i();
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
      if (!s.input) k->result_source_ = static_cast<int>(in.size());
      in.push_back(s.input ? sig.inputs[static_cast<size_t>(s.index)] : types[ri]);
    }
    if (k->result_source_ < 0) return nullptr;
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
  // Tasks of up to 8 blocks (a function of the shape only), at least 16 tasks when possible.
  const int64_t blocks = (k->rows_ + k->block_rows_ - 1) / k->block_rows_;
  k->blocks_per_chunk_ = std::clamp<int64_t>(blocks / 16, 1, 8);
  k->block_dims_ = Dims{k->block_rows_};
  k->block_dims_.insert(k->block_dims_.end(), xd.begin() + lead, xd.end());
  // The result's dims past the rows: the kept reduced axes (size 1) or the normalized ones.
  k->block_out_dims_ = Dims{k->block_rows_};
  k->block_out_dims_.insert(k->block_out_dims_.end(), yd.begin() + std::min<int64_t>(lead, static_cast<int64_t>(yd.size())), yd.end());
  for (Operand& o : k->operands_) {
    if (o.per_row == 0) continue;
    if (class_loss) {
      o.per_row = 1;  // one class index per row
      continue;
    }
    o.per_row = k->inner_;  // a pointwise loss's target: the input's shape
    o.trailing.assign(xd.begin() + lead, xd.end());
  }
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
    for (const Operand& o : k->operands_) {
      Dims od = o.trailing;
      od.insert(od.begin(), rows);
      in.push_back(o.per_row ? TensorType{o.dtype, Shape::FromDims(od)}
                             : sig.inputs[static_cast<size_t>(o.input)]);
    }
    // A loss's block sum is a scalar.
    const TensorType out{DType::kF32, Shape::FromDims(k->partial_ ? Dims{} : bo)};
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
