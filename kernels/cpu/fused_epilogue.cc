// Fast CPU kernels of linear_fused, matmul_fused and conv2d_fused (f32): one oneDNN GEMM or
// convolution with the bias, activation and residual as post-ops (kernels/cpu/onednn.h), so the
// epilogue runs on each block while it is in cache. matmul_fused runs this way when b is a
// matrix (k, n) (or (n, k) with transpose_b) and a is not transposed (its batch folds into the
// rows); other forms run the base op's kernel and the epilogue op by op (kernels/ref/fused.h).
// matmul_sgd_update (f32) is one dnnl_sgemm per block with alpha = -lr and beta = 1 - lr * wd
// accumulating into the parameter (onednn::Gemm::RunAccumulate).
#include <cstring>
#include <string>

#include "graph/ops/linalg.h"
#include "kernels/cpu/cpu_util.h"
#include "kernels/cpu/onednn.h"
#include "kernels/ref/fused.h"

namespace bronze::cpu {
namespace {

onednn::Epilogue EpilogueOf(const AttrMap& attrs) {
  onednn::Epilogue e;
  e.bias = attrs.at("bias").i() == 1;
  const std::string& act = attrs.at("activation").s();
  if (act == "relu")
    e.activation = onednn::Activation::kRelu;
  else if (act == "gelu")
    e.activation = onednn::Activation::kGeluErf;
  else if (act == "gelu_tanh")
    e.activation = onednn::Activation::kGeluTanh;
  else if (act == "sigmoid")
    e.activation = onednn::Activation::kSigmoid;
  else if (act == "tanh")
    e.activation = onednn::Activation::kTanh;
  const std::string& res = attrs.at("residual").s();
  e.residual = res != "none";
  e.residual_before_activation = res == "before";
  return e;
}

// Inputs: a, b, [bias], [residual].
class GemmEpilogueKernel final : public Kernel {
 public:
  GemmEpilogueKernel(const onednn::GemmShape& shape, const onednn::Epilogue& e)
      : epilogue_(e), gemm_(shape, e) {}
  void Run(std::span<const Tensor> in, std::span<Tensor> out, ExecContext& ctx) const override {
    const float* bias = epilogue_.bias ? in[2].data<float>() : nullptr;
    const float* res = epilogue_.residual ? in.back().data<float>() : nullptr;
    gemm_.Run(ctx, in[0].data<float>(), in[1].data<float>(), bias, res, out[0].data<float>(),
              &in[1]);
  }

 private:
  onednn::Epilogue epilogue_;
  onednn::Gemm gemm_;
};

class ConvEpilogueKernel final : public Kernel {
 public:
  ConvEpilogueKernel(const ops::ConvGeometry& g, const onednn::Epilogue& e)
      : epilogue_(e), conv_(g, false, e) {}
  void Run(std::span<const Tensor> in, std::span<Tensor> out, ExecContext& ctx) const override {
    const float* bias = epilogue_.bias ? in[2].data<float>() : nullptr;
    const float* res = epilogue_.residual ? in.back().data<float>() : nullptr;
    conv_.Run(ctx, in[0].data<float>(), in[1].data<float>(), bias, res, out[0].data<float>());
  }

 private:
  onednn::Epilogue epilogue_;
  onednn::Convolution conv_;
};

// matmul_sgd_update: param (m, n) += -lr * (a @ b) - lr * wd * param, in one GEMM.
class MatmulSgdUpdateKernel final : public Kernel {
 public:
  MatmulSgdUpdateKernel(const onednn::GemmShape& shape, double weight_decay)
      : weight_decay_(weight_decay), gemm_(shape, Accumulate()) {}
  void Run(std::span<const Tensor> in, std::span<Tensor> out, ExecContext& ctx) const override {
    float* p = out[0].data<float>();
    if (p != in[0].data<float>()) {  // a fresh output (tests): start from the parameter
      std::memcpy(p, in[0].data<float>(), static_cast<size_t>(in[0].numel()) * sizeof(float));
    }
    const double lr = in[3].GetAsDouble(0);
    // As sgd_update's f32 kernel: lr in f32; the decay folds into beta.
    const float lrf = static_cast<float>(lr);
    const float beta = weight_decay_ == 0.0 ? 1.f : 1.f - lrf * static_cast<float>(weight_decay_);
    gemm_.RunAccumulate(ctx, in[1].data<float>(), in[2].data<float>(), -lrf, beta, p);
  }

 private:
  static onednn::Epilogue Accumulate() {
    onednn::Epilogue e;
    e.accumulate = true;
    return e;
  }
  double weight_decay_;
  onednn::Gemm gemm_;
};

std::unique_ptr<Kernel> MakeMatmulSgdUpdate(const KernelSignature& sig) {
  const Dims a = sig.inputs[1].shape.static_dims();
  const Dims b = sig.inputs[2].shape.static_dims();
  onednn::GemmShape s;
  s.a_transposed = ops::MatmulTransposed(sig.attrs, 0);
  s.b_transposed = ops::MatmulTransposed(sig.attrs, 1);
  s.m = s.a_transposed ? a[1] : a[0];
  s.k = s.a_transposed ? a[0] : a[1];
  s.n = s.b_transposed ? b[0] : b[1];
  return std::make_unique<MatmulSgdUpdateKernel>(s, sig.attrs.at("weight_decay").f());
}

std::unique_ptr<Kernel> MakeLinearFused(const KernelSignature& sig) {
  const Dims w = sig.inputs[1].shape.static_dims();
  const Dims y = sig.outputs[0].shape.static_dims();
  onednn::GemmShape s;
  s.n = w[0];
  s.k = w[1];
  s.m = s.n == 0 ? 0 : NumElements(y) / s.n;
  s.b_transposed = true;
  s.constant_b = sig.IsConstantInput(1);
  return std::make_unique<GemmEpilogueKernel>(s, EpilogueOf(sig.attrs));
}

std::unique_ptr<Kernel> MakeMatmulFused(const KernelSignature& sig) {
  const Dims a = sig.inputs[0].shape.static_dims();
  const Dims b = sig.inputs[1].shape.static_dims();
  const bool ta = ops::MatmulTransposed(sig.attrs, 0), tb = ops::MatmulTransposed(sig.attrs, 1);
  if (ta || a.size() < 2 || b.size() != 2) return ref::MakeCompositeEpilogueKernel(sig, "");
  onednn::GemmShape s;
  s.k = a.back();
  s.n = tb ? b[0] : b[1];
  s.m = s.k == 0 ? NumElements(sig.outputs[0].shape.static_dims()) / std::max<int64_t>(s.n, 1)
                 : NumElements(a) / s.k;
  s.b_transposed = tb;
  s.constant_b = sig.IsConstantInput(1);
  return std::make_unique<GemmEpilogueKernel>(s, EpilogueOf(sig.attrs));
}

std::unique_ptr<Kernel> MakeConv2dFused(const KernelSignature& sig) {
  return std::make_unique<ConvEpilogueKernel>(
      ops::Conv2dGeometry(sig.attrs, sig.inputs[0].shape.static_dims(),
                          sig.inputs[1].shape.static_dims()),
      EpilogueOf(sig.attrs));
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuFusedEpilogueKernels(KernelRegistry& r) {
  cpu::Register(r, "linear_fused", DType::kF32, KernelFactory(&cpu::MakeLinearFused));
  cpu::Register(r, "matmul_fused", DType::kF32, KernelFactory(&cpu::MakeMatmulFused));
  cpu::Register(r, "conv2d_fused", DType::kF32, KernelFactory(&cpu::MakeConv2dFused));
  cpu::Register(r, "matmul_sgd_update", DType::kF32, KernelFactory(&cpu::MakeMatmulSgdUpdate));
}

}  // namespace bronze
