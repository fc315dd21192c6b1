// Compile explanations: one readable text that says what the compiler did with a graph: the
// pass pipeline that ran, every remark a pass made (PassContext::Remark: what was fused or
// folded, and why a candidate was not), the fused groups left in the graph (nodes whose op name
// starts with "fused_" or ends with "_fused"), and, for one input-shape signature, how the plan
// runs (loop or task graph, and why) and its memory (the arena and the peak of live values).
// Session::Explain(input dims) fills it from a session; the CLI (`bronze opt --explain`) and
// Python (`model.explain()`) print that string.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/pass.h"
#include "runtime/plan.h"

namespace bronze {

struct ExplainInput {
  const std::vector<std::string>* pipeline = nullptr;  // the pass names, in order
  const std::vector<PassRemark>* remarks = nullptr;
  const Graph* graph = nullptr;  // the graph after the pipeline (for the fused groups)
  const Plan* plan = nullptr;    // a plan for one input signature (schedule and memory)
};

// Sections, each omitted when its input is null:
//   pipeline: verify, shape_infer, dce
//   remarks (3):
//     [fuse] fused add+relu into fused_0
//   fused groups (1):
//     node 'fused_0' (fused_elementwise): 2 inputs -> f32[N, 16]
//   plan for x: f32[8, 16]
//     steps: 12, scheduler: loop: ... (its reason)
//     memory: arena 4.0 KiB for 10 intermediate values (peak live 3.9 KiB), 3 in place;
//             graph outputs 512 B allocated per run
std::string Explain(const ExplainInput& input);

// Whether an op name marks a fused group ("fused_..." or "..._fused").
bool IsFusedOpName(const std::string& op);

}  // namespace bronze
