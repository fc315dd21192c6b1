// Kernels and the kernel registry, keyed by (op, device, dtype) with a backend name ("ref" for
// the naive oracle kernels, "cpu" for the fast ones, "cuda"). A registered factory binds a kernel
// to concrete input and output types once, when a plan is compiled (that is where oneDNN
// primitives or CUDA launch configurations are prepared); Run then executes it any number of
// times, possibly from several threads at once, so a bound kernel keeps no per-run state.
// Kernels see tensors, dtypes, shapes and attributes, never the Graph.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "graph/attribute.h"
#include "graph/graph.h"
#include "graph/tensor.h"

namespace bronze {

// What a kernel is bound to: concrete (static) types, the node's attributes and the device.
struct KernelSignature {
  std::string_view op;
  const AttrMap& attrs;
  std::span<const TensorType> inputs;
  std::span<const TensorType> outputs;
  Device device;
  // Bit i: input i is a parameter that no node of the plan writes (runtime/plan.cc), so a
  // kernel may keep a transformed copy of it (packed GEMM weights) while it is handed the same
  // storage. Inputs past 63 are never marked.
  uint64_t constant_inputs = 0;
  bool IsConstantInput(size_t i) const { return i < 64 && ((constant_inputs >> i) & 1) != 0; }
};

// Per-run execution state handed to kernels (grows: CUDA stream, workspace). Kernels run inside
// the session's TBB task_arena (kernels/parallel.h), sized to `threads`; a kernel splits its
// work with ParallelFor / ParallelChunks, which run inline when `threads` is 1.
struct ExecContext {
  int threads = 1;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Outputs arrive allocated with their planned shapes; inputs must not be written.
  virtual void Run(std::span<const Tensor> inputs, std::span<Tensor> outputs,
                   ExecContext& context) const = 0;
};

using KernelFactory = std::function<std::unique_ptr<Kernel>(const KernelSignature&)>;
// The simplest kernel: a function of attributes, inputs and outputs.
using KernelFn = void (*)(const AttrMap& attrs, std::span<const Tensor> inputs,
                          std::span<Tensor> outputs);
// The same with the execution context (for kernels that parallelize).
using ContextKernelFn = void (*)(const AttrMap& attrs, std::span<const Tensor> inputs,
                                 std::span<Tensor> outputs, const ExecContext& context);
// A factory for a KernelFn; the attributes are copied into the bound kernel.
KernelFactory FunctionKernel(KernelFn fn);
KernelFactory FunctionKernel(ContextKernelFn fn);

struct KernelEntry {
  std::string op;
  DeviceKind device;
  DType dtype;        // the dtype of the op's dispatch input (OpSchema::dispatch_input)
  std::string backend;
  int priority = 0;   // higher wins when no backend is requested
  KernelFactory factory;
};

class KernelRegistry {
 public:
  // Every built-in kernel, registered on first use.
  static const KernelRegistry& Global();

  void Register(KernelEntry entry);  // throws InternalError on a duplicate key
  // The kernel for (op, device, dtype): from `backend` when given, else the highest priority.
  const KernelEntry* Find(std::string_view op, DeviceKind device, DType dtype,
                          std::string_view backend = {}) const;
  std::vector<const KernelEntry*> All() const;
  // The dtypes an op has kernels for on a device and backend ("" = any), for error messages.
  std::string DescribeAvailable(std::string_view op, DeviceKind device,
                                std::string_view backend = {}) const;

 private:
  std::vector<KernelEntry> entries_;
};

// Kernel families, one per op family (kernels/ref/*.cc: the oracle, backend "ref";
// kernels/cpu/*.cc: the fast CPU kernels, backend "cpu"). KernelRegistry::Global() calls each once.
void RegisterRefElementwiseKernels(KernelRegistry& registry);
void RegisterRefUnaryKernels(KernelRegistry& registry);
void RegisterRefLinalgKernels(KernelRegistry& registry);
void RegisterRefReduceKernels(KernelRegistry& registry);
void RegisterRefShapeKernels(KernelRegistry& registry);
void RegisterRefNnKernels(KernelRegistry& registry);
void RegisterRefLossKernels(KernelRegistry& registry);
void RegisterRefRandomKernels(KernelRegistry& registry);
void RegisterRefOptimizerKernels(KernelRegistry& registry);
void RegisterRefFusedKernels(KernelRegistry& registry);
void RegisterCpuElementwiseKernels(KernelRegistry& registry);
void RegisterCpuUnaryKernels(KernelRegistry& registry);
void RegisterCpuLinalgKernels(KernelRegistry& registry);
void RegisterCpuReduceKernels(KernelRegistry& registry);
void RegisterCpuShapeKernels(KernelRegistry& registry);
void RegisterCpuNnKernels(KernelRegistry& registry);
void RegisterCpuLossKernels(KernelRegistry& registry);
void RegisterCpuRandomKernels(KernelRegistry& registry);
void RegisterCpuOptimizerKernels(KernelRegistry& registry);
void RegisterCpuFusedKernels(KernelRegistry& registry);
#ifdef BRONZE_WITH_CUDA
void RegisterCudaDevice();
namespace cuda {
void RegisterElementwiseKernels(KernelRegistry& registry);
}  // namespace cuda
#endif

}  // namespace bronze
