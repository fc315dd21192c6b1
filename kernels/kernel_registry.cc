// The kernel registry and the function-kernel adapter.
#include "kernels/kernel.h"

#include <algorithm>
#include <type_traits>

#include "graph/error.h"
#include "hwy/targets.h"

namespace bronze {
namespace {

template <typename Fn>
class FunctionKernelImpl final : public Kernel {
 public:
  FunctionKernelImpl(Fn fn, AttrMap attrs) : fn_(fn), attrs_(std::move(attrs)) {}
  void Run(std::span<const Tensor> inputs, std::span<Tensor> outputs,
           ExecContext& context) const override {
    if constexpr (std::is_same_v<Fn, KernelFn>) {
      (void)context;
      fn_(attrs_, inputs, outputs);
    } else {
      fn_(attrs_, inputs, outputs, context);
    }
  }

 private:
  Fn fn_;
  AttrMap attrs_;
};

}  // namespace

KernelFactory FunctionKernel(KernelFn fn) {
  return [fn](const KernelSignature& sig) -> std::unique_ptr<Kernel> {
    return std::make_unique<FunctionKernelImpl<KernelFn>>(fn, sig.attrs);
  };
}

KernelFactory FunctionKernel(ContextKernelFn fn) {
  return [fn](const KernelSignature& sig) -> std::unique_ptr<Kernel> {
    return std::make_unique<FunctionKernelImpl<ContextKernelFn>>(fn, sig.attrs);
  };
}

const KernelRegistry& KernelRegistry::Global() {
  static const KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    RegisterRefElementwiseKernels(*r);
    RegisterRefUnaryKernels(*r);
    RegisterRefLinalgKernels(*r);
    RegisterRefReduceKernels(*r);
    RegisterRefShapeKernels(*r);
    RegisterRefNnKernels(*r);
    RegisterRefLossKernels(*r);
    RegisterRefRandomKernels(*r);
    RegisterRefOptimizerKernels(*r);
    RegisterRefFusedKernels(*r);
    // Pick the Highway target once, before any kernel runs (dispatch is then a table lookup).
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    RegisterCpuElementwiseKernels(*r);
    RegisterCpuUnaryKernels(*r);
    RegisterCpuLinalgKernels(*r);
    RegisterCpuReduceKernels(*r);
    RegisterCpuShapeKernels(*r);
    RegisterCpuNnKernels(*r);
    RegisterCpuLossKernels(*r);
    RegisterCpuRandomKernels(*r);
    RegisterCpuOptimizerKernels(*r);
    RegisterCpuFusedKernels(*r);
#ifdef BRONZE_WITH_CUDA
    RegisterCudaDevice();
    cuda::RegisterElementwiseKernels(*r);
#endif
    return r;
  }();
  return *registry;
}

void KernelRegistry::Register(KernelEntry entry) {
  for (const KernelEntry& e : entries_) {
    if (e.op == entry.op && e.device == entry.device && e.dtype == entry.dtype &&
        e.backend == entry.backend) {
      ThrowInternal("kernel " + entry.backend + ":" + entry.op + ":" +
                    std::string(DTypeName(entry.dtype)) + " registered twice");
    }
  }
  entries_.push_back(std::move(entry));
}

const KernelEntry* KernelRegistry::Find(std::string_view op, DeviceKind device, DType dtype,
                                        std::string_view backend) const {
  const KernelEntry* best = nullptr;
  for (const KernelEntry& e : entries_) {
    if (e.op != op || e.device != device || e.dtype != dtype) continue;
    if (!backend.empty() && e.backend != backend) continue;
    if (!best || e.priority > best->priority) best = &e;
  }
  return best;
}

std::vector<const KernelEntry*> KernelRegistry::All() const {
  std::vector<const KernelEntry*> out;
  for (const KernelEntry& e : entries_) out.push_back(&e);
  return out;
}

std::string KernelRegistry::DescribeAvailable(std::string_view op, DeviceKind device,
                                              std::string_view backend) const {
  std::vector<DType> seen;
  std::string s;
  for (const KernelEntry& e : entries_) {
    if (e.op != op || e.device != device) continue;
    if (!backend.empty() && e.backend != backend) continue;
    if (std::find(seen.begin(), seen.end(), e.dtype) != seen.end()) continue;
    seen.push_back(e.dtype);
    s += (s.empty() ? "" : ", ") + std::string(DTypeName(e.dtype));
  }
  return s.empty() ? "none" : s;
}

}  // namespace bronze
