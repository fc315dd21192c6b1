// Fast CPU kernels for matmul, linear, conv2d, conv_transpose2d and conv2d_backward_weight (f32),
// through oneDNN primitives created once when the kernel is bound and run single-threaded per
// chunk across the session's threads (kernels/cpu/onednn.h). This file maps each op's tensors
// and NumPy / PyTorch conventions onto onednn::Gemm, onednn::Convolution and
// onednn::ConvolutionBackwardWeights.
#include "graph/ops/linalg.h"
#include "kernels/cpu/cpu_util.h"
#include "kernels/cpu/onednn.h"

namespace bronze::cpu {
namespace {

// matmul with NumPy semantics as a list of 2-D products, transposed operands read in place
// (oneDNN strides). When b has no batch of its own and a is neither broadcast nor transposed, the
// batch folds into M: one (batch*M, K) @ (K, N) product.
onednn::GemmShape MatmulShape(const Dims& a_dims, const Dims& b_dims, bool ta, bool tb) {
  Dims ad = a_dims, bd = b_dims;
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  if (ta) std::swap(ad[ad.size() - 2], ad[ad.size() - 1]);
  if (tb) std::swap(bd[bd.size() - 2], bd[bd.size() - 1]);
  onednn::GemmShape s;
  s.a_transposed = ta;
  s.b_transposed = tb;
  s.m = ad[ad.size() - 2];
  s.k = ad.back();
  s.n = bd.back();
  const Dims a_batch(ad.begin(), ad.end() - 2), b_batch(bd.begin(), bd.end() - 2);
  const size_t rank = std::max(a_batch.size(), b_batch.size());
  // Right-aligned batch dims of a and b, padded with 1s, and the broadcast result.
  Dims pa(rank, 1), pb(rank, 1), out(rank, 1);
  for (size_t i = 0; i < a_batch.size(); ++i) pa[rank - a_batch.size() + i] = a_batch[i];
  for (size_t i = 0; i < b_batch.size(); ++i) pb[rank - b_batch.size() + i] = b_batch[i];
  for (size_t i = 0; i < rank; ++i) out[i] = pa[i] == 1 ? pb[i] : pa[i];
  const int64_t batch = NumElements(out);
  const int64_t a_count = NumElements(pa), b_count = NumElements(pb);
  if (batch == 0 || (b_count == 1 && a_count == batch && !ta)) {
    s.m *= batch;  // a's batch is contiguous: fold it into the rows (an empty batch: no rows)
    return s;
  }
  // Element strides of each operand's batch dims (0 where broadcast).
  std::vector<int64_t> sa(rank, 0), sb(rank, 0);
  int64_t ra = s.m * s.k, rb = s.k * s.n;
  for (size_t i = rank; i-- > 0;) {
    sa[i] = pa[i] == 1 ? 0 : ra;
    sb[i] = pb[i] == 1 ? 0 : rb;
    ra *= pa[i];
    rb *= pb[i];
  }
  std::vector<int64_t> idx(rank, 0);
  for (int64_t flat = 0; flat < batch; ++flat) {
    int64_t oa = 0, ob = 0;
    for (size_t i = 0; i < rank; ++i) {
      oa += idx[i] * sa[i];
      ob += idx[i] * sb[i];
    }
    s.a_offsets.push_back(oa);
    s.b_offsets.push_back(ob);
    for (size_t i = rank; i-- > 0;) {
      if (++idx[i] < out[i]) break;
      idx[i] = 0;
    }
  }
  return s;
}

class GemmKernel final : public Kernel {
 public:
  GemmKernel(const onednn::GemmShape& shape, bool bias)
      : bias_(bias), gemm_(shape, onednn::Epilogue{bias}) {}
  void Run(std::span<const Tensor> in, std::span<Tensor> out, ExecContext& ctx) const override {
    gemm_.Run(ctx, in[0].data<float>(), in[1].data<float>(), bias_ ? in[2].data<float>() : nullptr,
              nullptr, out[0].data<float>(), &in[1]);
  }

 private:
  bool bias_;
  onednn::Gemm gemm_;
};

// The shape with b marked constant when the plan says input 1 is (packed once, onednn.h).
onednn::GemmShape ConstantB(onednn::GemmShape s, const KernelSignature& sig) {
  s.constant_b = sig.IsConstantInput(1);
  return s;
}

std::unique_ptr<Kernel> MakeMatmul(const KernelSignature& sig) {
  return std::make_unique<GemmKernel>(
      ConstantB(MatmulShape(sig.inputs[0].shape.static_dims(), sig.inputs[1].shape.static_dims(),
                            ops::MatmulTransposed(sig.attrs, 0), ops::MatmulTransposed(sig.attrs, 1)),
                sig),
      false);
}

// linear: x (..., in) @ weight (out, in)^T + bias as one (rows, in) @ (in, out) product.
std::unique_ptr<Kernel> MakeLinear(const KernelSignature& sig) {
  const Dims w = sig.inputs[1].shape.static_dims();
  const Dims y = sig.outputs[0].shape.static_dims();
  onednn::GemmShape s;
  s.n = w[0];
  s.k = w[1];
  s.m = s.n == 0 ? 0 : NumElements(y) / s.n;
  s.b_transposed = true;
  return std::make_unique<GemmKernel>(ConstantB(s, sig), sig.inputs.size() == 3);
}

class ConvKernel final : public Kernel {
 public:
  ConvKernel(const ops::ConvGeometry& g, bool transposed, bool bias, bool constant_w)
      : bias_(bias),
        constant_w_(constant_w),
        conv_(g, transposed, onednn::Epilogue{bias}, constant_w) {}
  void Run(std::span<const Tensor> in, std::span<Tensor> out, ExecContext& ctx) const override {
    conv_.Run(ctx, in[0].data<float>(), in[1].data<float>(), bias_ ? in[2].data<float>() : nullptr,
              nullptr, out[0].data<float>(), constant_w_ ? &in[1] : nullptr);
  }

 private:
  bool bias_, constant_w_;
  onednn::Convolution conv_;
};

std::unique_ptr<Kernel> MakeConv2d(const KernelSignature& sig) {
  return std::make_unique<ConvKernel>(
      ops::Conv2dGeometry(sig.attrs, sig.inputs[0].shape.static_dims(),
                          sig.inputs[1].shape.static_dims()),
      false, sig.inputs.size() == 3, sig.IsConstantInput(1));
}

std::unique_ptr<Kernel> MakeConvTranspose2d(const KernelSignature& sig) {
  return std::make_unique<ConvKernel>(
      ops::ConvTranspose2dGeometry(sig.attrs, sig.inputs[0].shape.static_dims(),
                                   sig.inputs[1].shape.static_dims()),
      true, sig.inputs.size() == 3, sig.IsConstantInput(1));
}

class ConvBackwardWeightKernel final : public Kernel {
 public:
  explicit ConvBackwardWeightKernel(const ops::ConvGeometry& g) : conv_(g) {}
  void Run(std::span<const Tensor> in, std::span<Tensor> out, ExecContext& ctx) const override {
    conv_.Run(ctx, in[0].data<float>(), in[1].data<float>(), out[0].data<float>());
  }

 private:
  onednn::ConvolutionBackwardWeights conv_;
};

std::unique_ptr<Kernel> MakeConv2dBackwardWeight(const KernelSignature& sig) {
  return std::make_unique<ConvBackwardWeightKernel>(ops::Conv2dGeometry(
      sig.attrs, sig.inputs[0].shape.static_dims(), sig.attrs.at("weight_shape").ints()));
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuLinalgKernels(KernelRegistry& r) {
  cpu::Register(r, "matmul", DType::kF32, KernelFactory(&cpu::MakeMatmul));
  cpu::Register(r, "linear", DType::kF32, KernelFactory(&cpu::MakeLinear));
  cpu::Register(r, "conv2d", DType::kF32, KernelFactory(&cpu::MakeConv2d));
  cpu::Register(r, "conv_transpose2d", DType::kF32, KernelFactory(&cpu::MakeConvTranspose2d));
  cpu::Register(r, "conv2d_backward_weight", DType::kF32,
                KernelFactory(&cpu::MakeConv2dBackwardWeight));
}

}  // namespace bronze
