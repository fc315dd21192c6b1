// EvaluateNode: one node on the host kernels, for constant folding (see runtime/evaluator.h).
#include "runtime/evaluator.h"

#include <mutex>

#include "graph/evaluator.h"
#include "graph/op_registry.h"
#include "kernels/kernel.h"

namespace bronze {

std::vector<Tensor> EvaluateNode(const Node& node, const std::vector<Tensor>& inputs,
                                 const std::string& backend) {
  if (!node.op || node.op->is_source) {
    ThrowInternal("EvaluateNode: " + node.Describe() + " is not a computation");
  }
  if (inputs.size() != node.inputs.size()) {
    ThrowInternal("EvaluateNode: " + node.Describe() + " has " +
                  std::to_string(node.inputs.size()) + " inputs, got " +
                  std::to_string(inputs.size()) + " tensors");
  }
  std::vector<TensorType> in_types;
  for (const Tensor& t : inputs) {
    if (t.device() != Device::CPU()) ThrowInternal("EvaluateNode: inputs must be host tensors");
    in_types.push_back({t.dtype(), Shape::FromDims(t.dims())});
  }
  for (const TensorType& t : node.outputs) {
    if (!t.shape.is_static()) {
      ThrowInternal("EvaluateNode: " + node.Describe() + " has symbolic output " + t.ToString());
    }
  }
  DType dispatch = node.op->dispatch_input < 0
                       ? node.outputs.at(0).dtype
                       : in_types.at(static_cast<size_t>(node.op->dispatch_input)).dtype;
  const KernelRegistry& kernels = KernelRegistry::Global();
  const KernelEntry* entry = kernels.Find(node.op->name, DeviceKind::kCPU, dispatch, backend);
  if (!entry) {
    throw UnimplementedError(node.Describe() + ": no " + backend + " kernel for " +
                                 node.op->name + " with dtype " + std::string(DTypeName(dispatch)),
                             node.location);
  }
  std::vector<Tensor> outputs;
  for (const TensorType& t : node.outputs) outputs.push_back(Tensor::Empty(t.dtype, t.shape.static_dims()));
  try {
    std::unique_ptr<Kernel> kernel = entry->factory(
        KernelSignature{node.op->name, node.attrs, in_types, node.outputs, Device::CPU()});
    ExecContext context;
    context.threads = 1;
    kernel->Run(inputs, outputs, context);
  } catch (const Error& e) {
    RethrowWithContext(e, node.Describe() + ": ", node.location);
  }
  return outputs;
}

void InstallKernelEvaluator() {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (GetNodeEvaluator()) return;  // keeps one installed before (ours or a custom one)
  SetNodeEvaluator([](const Node& node, const std::vector<Tensor>& inputs) {
    return EvaluateNode(node, inputs, "ref");
  });
}

}  // namespace bronze
