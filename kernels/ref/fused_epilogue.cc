// The reference kernels of linear_fused, matmul_fused and conv2d_fused: the base op's kernel,
// then the epilogue as an op-by-op fused program (kernels/ref/fused.h); and of
// matmul_sgd_update: matmul's reference kernel, then sgd_update's, as the unfused graph runs.
#include <string>
#include <vector>

#include "graph/error.h"
#include "graph/ops/fused.h"
#include "kernels/ref/fused.h"

namespace bronze::ref {
namespace {

// The kernel `op` of `backend` for `sig`, or an UnimplementedError.
std::unique_ptr<Kernel> MakeKernel(const std::string& op, const KernelSignature& sig,
                                   std::string_view backend) {
  const KernelEntry* e =
      KernelRegistry::Global().Find(op, sig.device.kind, sig.inputs[0].dtype, backend);
  if (!e) {
    throw UnimplementedError(op + " has no " + std::string(backend) + " kernel for " +
                             std::string(DTypeName(sig.inputs[0].dtype)));
  }
  return e->factory(sig);
}

class CompositeEpilogueKernel final : public Kernel {
 public:
  CompositeEpilogueKernel(const KernelSignature& sig, std::string_view backend)
      : base_op_(std::string(sig.op).substr(0, sig.op.size() - std::string("_fused").size())) {
    const bool bias = sig.attrs.at("bias").i() == 1;
    const bool native_bias = base_op_ != "matmul";
    base_attrs_ = sig.attrs;
    for (const char* k : {"activation", "residual", "bias"}) base_attrs_.erase(k);
    base_inputs_ = bias && native_bias ? 3 : 2;
    std::vector<TensorType> base_in(sig.inputs.begin(), sig.inputs.begin() + base_inputs_);
    out_type_ = sig.outputs[0];
    base_ = MakeKernel(base_op_,
                       KernelSignature{base_op_, base_attrs_, base_in, sig.outputs, sig.device},
                       backend);
    program_ = EpilogueProgram(sig.attrs, bias && !native_bias);
    if (!program_.empty()) {
      program_attrs_ = {{"program", Attribute(program_)}};
      std::vector<TensorType> in{out_type_};
      for (size_t k = base_inputs_; k < sig.inputs.size(); ++k) in.push_back(sig.inputs[k]);
      tail_ = MakeOpByOpFusedKernel(
          KernelSignature{"fused_elementwise", program_attrs_, in, sig.outputs, sig.device},
          backend);
    }
  }

  void Run(std::span<const Tensor> inputs, std::span<Tensor> outputs,
           ExecContext& ctx) const override {
    if (!tail_) {
      base_->Run(inputs.subspan(0, base_inputs_), outputs, ctx);
      return;
    }
    Tensor acc = Tensor::Empty(out_type_.dtype, out_type_.shape.static_dims());
    base_->Run(inputs.subspan(0, base_inputs_), std::span<Tensor>(&acc, 1), ctx);
    std::vector<Tensor> in{acc};
    for (size_t k = base_inputs_; k < inputs.size(); ++k) in.push_back(inputs[k]);
    tail_->Run(in, outputs, ctx);
  }

 private:
  std::string base_op_;
  AttrMap base_attrs_;
  AttrMap program_attrs_;
  size_t base_inputs_ = 2;
  TensorType out_type_;
  std::string program_;
  std::unique_ptr<Kernel> base_;
  std::unique_ptr<Kernel> tail_;
};

// matmul_sgd_update(param, a, b, lr, ...) = sgd_update(param, matmul(a, b), lr, ...).
class MatmulSgdUpdateKernel final : public Kernel {
 public:
  explicit MatmulSgdUpdateKernel(const KernelSignature& sig) : grad_type_(sig.outputs[0]) {
    matmul_attrs_ = sig.attrs;
    sgd_attrs_ = {{"nesterov", Attribute(int64_t{0})}};
    for (const char* k : {"momentum", "dampening", "weight_decay"}) {
      matmul_attrs_.erase(k);
      sgd_attrs_[k] = sig.attrs.at(k);
    }
    const std::vector<TensorType> matmul_in{sig.inputs[1], sig.inputs[2]}, grad{grad_type_};
    std::vector<TensorType> sgd_in{sig.inputs[0], grad_type_};
    for (size_t k = 3; k < sig.inputs.size(); ++k) sgd_in.push_back(sig.inputs[k]);
    matmul_ = MakeKernel("matmul",
                         KernelSignature{"matmul", matmul_attrs_, matmul_in, grad, sig.device},
                         "ref");
    sgd_ = MakeKernel("sgd_update",
                      KernelSignature{"sgd_update", sgd_attrs_, sgd_in, sig.outputs, sig.device},
                      "ref");
  }

  void Run(std::span<const Tensor> inputs, std::span<Tensor> outputs,
           ExecContext& ctx) const override {
    Tensor grad = Tensor::Empty(grad_type_.dtype, grad_type_.shape.static_dims());
    matmul_->Run(inputs.subspan(1, 2), std::span<Tensor>(&grad, 1), ctx);
    std::vector<Tensor> in{inputs[0], grad};
    for (size_t k = 3; k < inputs.size(); ++k) in.push_back(inputs[k]);
    sgd_->Run(in, outputs, ctx);
  }

 private:
  TensorType grad_type_;
  AttrMap matmul_attrs_, sgd_attrs_;
  std::unique_ptr<Kernel> matmul_, sgd_;
};

}  // namespace

std::unique_ptr<Kernel> MakeCompositeEpilogueKernel(const KernelSignature& sig,
                                                    std::string_view backend) {
  return std::make_unique<CompositeEpilogueKernel>(sig, backend);
}

}  // namespace bronze::ref

namespace bronze {

void RegisterRefFusedEpilogueKernels(KernelRegistry& r) {
  for (const char* op : {"linear_fused", "matmul_fused", "conv2d_fused"}) {
    for (DType d : {DType::kF32, DType::kF64}) {
      r.Register(KernelEntry{op, DeviceKind::kCPU, d, "ref", 0, [](const KernelSignature& sig) {
                               return ref::MakeCompositeEpilogueKernel(sig, "ref");
                             }});
    }
  }
  for (DType d : {DType::kF32, DType::kF64}) {
    r.Register(KernelEntry{"matmul_sgd_update", DeviceKind::kCPU, d, "ref", 0,
                           [](const KernelSignature& sig) -> std::unique_ptr<Kernel> {
                             return std::make_unique<ref::MatmulSgdUpdateKernel>(sig);
                           }});
  }
}

}  // namespace bronze
