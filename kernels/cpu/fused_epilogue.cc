// Fast CPU kernels of linear_fused, matmul_fused and conv2d_fused (f32): one oneDNN GEMM or
// convolution with the bias, activation and residual as post-ops (kernels/cpu/onednn.h), so the
// epilogue runs on each block while it is in cache. matmul_fused runs this way when b is a
// matrix (k, n) (or (n, k) with transpose_b) and a is not transposed (its batch folds into the
// rows); other forms run the base op's kernel and the epilogue op by op (kernels/ref/fused.h).
// matmul_sgd_update (f32) is one dnnl_sgemm per block accumulating into the parameter
// (onednn::Gemm::RunAccumulate; alpha = -lr, beta = 1 - lr * wd) or, with momentum, into the
// momentum buffer, followed by one pass over the parameter.
#include <cstring>
#include <string>

#include "graph/ops/linalg.h"
#include "kernels/cpu/cpu_util.h"
#include "kernels/cpu/onednn.h"
#include "kernels/cpu/optimizer.h"
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
  ConvEpilogueKernel(const ops::ConvGeometry& g, const onednn::Epilogue& e, bool constant_w)
      : epilogue_(e), constant_w_(constant_w), conv_(g, false, e, constant_w) {}
  void Run(std::span<const Tensor> in, std::span<Tensor> out, ExecContext& ctx) const override {
    const float* bias = epilogue_.bias ? in[2].data<float>() : nullptr;
    const float* res = epilogue_.residual ? in.back().data<float>() : nullptr;
    conv_.Run(ctx, in[0].data<float>(), in[1].data<float>(), bias, res, out[0].data<float>(),
              constant_w_ ? &in[1] : nullptr);
  }

 private:
  onednn::Epilogue epilogue_;
  bool constant_w_;
  onednn::Convolution conv_;
};

// matmul_sgd_update. Without momentum: param += -lr * (a @ b) - lr * wd * param, one GEMM.
// With momentum: buf = mu * buf + damp * (a @ b) in one GEMM (buf = a @ b on the first step),
// then buf += damp * wd * param and param -= lr * buf in one pass.
class MatmulSgdUpdateKernel final : public Kernel {
 public:
  MatmulSgdUpdateKernel(const onednn::GemmShape& shape, const AttrMap& attrs)
      : momentum_(attrs.at("momentum").f()),
        dampening_(attrs.at("dampening").f()),
        weight_decay_(attrs.at("weight_decay").f()),
        gemm_(shape, Accumulate()) {}
  void Run(std::span<const Tensor> in, std::span<Tensor> out, ExecContext& ctx) const override {
    float* p = Start(in[0], out[0]);
    // As sgd_update's f32 kernel: lr and the factors in f32.
    const float lr = static_cast<float>(in[3].GetAsDouble(0));
    const float wd = static_cast<float>(weight_decay_);
    if (momentum_ == 0.0) {
      const float beta = wd == 0.f ? 1.f : 1.f - lr * wd;
      gemm_.RunAccumulate(ctx, in[1].data<float>(), in[2].data<float>(), -lr, beta, p);
      return;
    }
    float* buf = Start(in[4], out[1]);
    const int64_t step = in[5].data<int64_t>()[0];
    // PyTorch: buf = g on the first step, else mu * buf + (1 - dampening) * g.
    const float damp = step == 0 ? 1.f : static_cast<float>(1.0 - dampening_);
    const float mu = step == 0 ? 0.f : static_cast<float>(momentum_);
    gemm_.RunAccumulate(ctx, in[1].data<float>(), in[2].data<float>(), damp, mu, buf);
    SgdMomentumTail(ctx, p, buf, in[0].numel(), lr, wd == 0.f ? 0.f : damp * wd);
    out[2].data<int64_t>()[0] = step + 1;
  }

 private:
  static onednn::Epilogue Accumulate() {
    onednn::Epilogue e;
    e.accumulate = true;
    return e;
  }
  // The buffer the output `o` updates in place, filled from `i` when the output is a fresh one
  // (tests run kernels that way).
  static float* Start(const Tensor& i, Tensor& o) {
    float* dst = o.data<float>();
    if (dst != i.data<float>()) {
      std::memcpy(dst, i.data<float>(), static_cast<size_t>(i.numel()) * sizeof(float));
    }
    return dst;
  }
  double momentum_, dampening_, weight_decay_;
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
  return std::make_unique<MatmulSgdUpdateKernel>(s, sig.attrs);
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
      EpilogueOf(sig.attrs), sig.IsConstantInput(1));
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
