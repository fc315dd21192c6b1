// libFuzzer target over load-then-run: bytes that load as a model are compiled into a Session
// (reference kernels, one thread) and run on zero-filled inputs, with every symbolic dim bound
// to 2. Inputs whose tensors would be large are skipped, so the fuzzer does not OOM. A
// bronze::Error anywhere is fine; anything else is a bug. Replayed by ctest over
// tests/fuzz/regressions/run.
#include <cstddef>
#include <cstdint>
#include <span>

#include "bronze/bronze.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bronze::LoadOptions options;
  options.memory_budget = 16 << 20;
  try {
    bronze::Model m = bronze::Model::LoadFromMemory(std::span(data, size), options);
    const bronze::Graph& g = m.graph();
    bronze::SymbolBindings bindings;
    std::vector<bronze::Tensor> inputs;
    for (bronze::NodeId id : g.Placeholders()) {
      const bronze::TensorType& t = g.node(id).outputs.at(0);
      for (const bronze::Dim& d : t.shape.dims()) {
        for (const std::string& s : d.symbols()) bindings[s] = 2;
      }
      bronze::Dims dims = t.shape.Evaluate(bindings);
      if (bronze::NumElements(dims) > (1 << 16)) return 0;
      inputs.push_back(bronze::Tensor::Zeros(t.dtype, dims));
    }
    // Intermediate values: skip graphs whose declared static tensors are large.
    for (bronze::NodeId id : g.node_ids()) {
      for (const bronze::TensorType& t : g.node(id).outputs) {
        bronze::Dims dims = t.shape.Evaluate(bindings);
        if (bronze::NumElements(dims) > (1 << 16)) return 0;
      }
    }
    bronze::SessionOptions so;
    so.threads = 1;
    so.backend = "ref";
    bronze::Session session(m, so);
    session.Run(inputs);
  } catch (const bronze::Error&) {
    // rejected: fine
  }
  return 0;
}
