// The reference kernels of fused_elementwise and fused_reduction: the program run op by op with
// the reference kernels of its instructions (kernels/ref/fused.h), every intermediate
// materialized at its own (broadcast) shape. Registered for every dtype a fused program may
// produce.
#include "kernels/ref/fused.h"

#include <cstring>
#include <string>
#include <vector>

#include "graph/error.h"
#include "graph/ops/fused.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

class OpByOpFusedKernel final : public Kernel {
 public:
  OpByOpFusedKernel(const KernelSignature& sig, std::string_view backend)
      : program_(ParseFusedProgram(sig.attrs.at("program").s(), sig.op == "fused_reduction")) {
    std::vector<TensorType> inputs(sig.inputs.begin(), sig.inputs.end());
    InferFusedTypes(program_, inputs, &types_);
    for (size_t i = 0; i < program_.instrs.size(); ++i) {
      const FusedInstr& in = program_.instrs[i];
      std::vector<TensorType> args;
      for (const FusedRef& r : in.args) {
        args.push_back(r.input ? inputs[static_cast<size_t>(r.index)]
                               : types_[static_cast<size_t>(r.index)]);
      }
      const int di = in.op->dispatch_input;
      const DType dispatch = di < 0 ? types_[i].dtype : args[static_cast<size_t>(di)].dtype;
      const KernelEntry* entry =
          KernelRegistry::Global().Find(in.op->name, sig.device.kind, dispatch, backend);
      if (!entry) {
        throw UnimplementedError("fused program instruction t" + std::to_string(i) + " (" +
                                 in.op->name + ") has no " + std::string(backend) + " kernel for " +
                                 std::string(DTypeName(dispatch)));
      }
      const TensorType out = types_[i];
      KernelSignature s{in.op->name, in.attrs, args, std::span<const TensorType>(&out, 1),
                        sig.device};
      kernels_.push_back(entry->factory(s));
    }
  }

  void Run(std::span<const Tensor> inputs, std::span<Tensor> outputs,
           ExecContext& ctx) const override {
    std::vector<Tensor> temps(program_.instrs.size());
    // An instruction whose result is an output writes there directly.
    for (size_t k = 0; k < program_.outputs.size(); ++k) {
      const FusedRef& r = program_.outputs[k];
      if (!r.input && !temps[static_cast<size_t>(r.index)].defined()) {
        temps[static_cast<size_t>(r.index)] = outputs[k];
      }
    }
    for (size_t i = 0; i < program_.instrs.size(); ++i) {
      const FusedInstr& in = program_.instrs[i];
      std::vector<Tensor> args;
      for (const FusedRef& r : in.args) {
        args.push_back(r.input ? inputs[static_cast<size_t>(r.index)]
                               : temps[static_cast<size_t>(r.index)]);
      }
      if (!temps[i].defined())
        temps[i] = Tensor::Empty(types_[i].dtype, types_[i].shape.static_dims());
      kernels_[i]->Run(args, std::span<Tensor>(&temps[i], 1), ctx);
    }
    for (size_t k = 0; k < program_.outputs.size(); ++k) {
      const FusedRef& r = program_.outputs[k];
      const Tensor& src =
          r.input ? inputs[static_cast<size_t>(r.index)] : temps[static_cast<size_t>(r.index)];
      if (src.raw_data() == outputs[k].raw_data()) continue;
      BRONZE_CHECK(src.nbytes() == outputs[k].nbytes());
      std::memcpy(outputs[k].raw_data(), src.raw_data(), src.nbytes());
    }
  }

 private:
  FusedProgram program_;
  std::vector<TensorType> types_;
  std::vector<std::unique_ptr<Kernel>> kernels_;
};

}  // namespace

std::unique_ptr<Kernel> MakeOpByOpFusedKernel(const KernelSignature& sig,
                                              std::string_view backend) {
  return std::make_unique<OpByOpFusedKernel>(sig, backend);
}

}  // namespace bronze::ref

namespace bronze {

void RegisterRefFusedEpilogueKernels(KernelRegistry& r);  // kernels/ref/fused_epilogue.cc

void RegisterRefFusedKernels(KernelRegistry& r) {
  RegisterRefFusedEpilogueKernels(r);
  for (DType d : {DType::kF32, DType::kF64, DType::kI32, DType::kI64, DType::kU8, DType::kBool}) {
    for (const char* op : {"fused_elementwise", "fused_reduction"}) {
      r.Register(KernelEntry{
          op, DeviceKind::kCPU, d, "ref", 0,
          [](const KernelSignature& sig) { return ref::MakeOpByOpFusedKernel(sig, "ref"); }});
    }
  }
}

}  // namespace bronze
