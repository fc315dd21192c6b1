// Renders docs/ops.md from the registries (see op_docs.h).
#include "runtime/op_docs.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "graph/op_registry.h"
#include "kernels/kernel.h"

namespace bronze {
namespace {

// Op families by stable-id range (graph/ops/ops.h).
std::string FamilyOf(uint32_t id) {
  if (id < 100) return "Sources";
  if (id < 200) return "Binary elementwise";
  if (id < 300) return "Unary elementwise";
  if (id < 400) return "Linear algebra and convolution";
  if (id < 500) return "Reductions and softmax";
  if (id < 600) return "Shape and indexing";
  if (id < 700) return "Pooling, normalization and attention";
  if (id < 800) return "Losses";
  if (id < 900) return "Optimizers";
  return "Random";
}

std::string Differentiable(Differentiability d) {
  switch (d) {
    case Differentiability::kDifferentiable: return "yes";
    case Differentiability::kNotDifferentiable: return "no";
    case Differentiability::kUnspecified: break;
  }
  return "not yet specified";
}

// "cpu: f32; ref: f32, f64" for the CPU kernels, backends in name order.
std::string KernelDTypes(const KernelRegistry& kernels, const std::string& op) {
  std::map<std::string, std::set<int>> by_backend;
  for (const KernelEntry* e : kernels.All()) {
    // CPU kernels only: GPU kernels exist only in CUDA builds, and the file must not depend on
    // how it was built.
    if (e->op != op || e->device != DeviceKind::kCPU) continue;
    by_backend[e->backend].insert(static_cast<int>(e->dtype));
  }
  if (by_backend.empty()) return "none";
  std::string out;
  for (const auto& [backend, dtypes] : by_backend) {
    out += (out.empty() ? "" : "; ") + backend + ": ";
    bool first = true;
    for (int d : dtypes) {
      out += (first ? "" : ", ") + std::string(DTypeName(static_cast<DType>(d)));
      first = false;
    }
  }
  return out;
}

std::string Escape(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

std::string RenderOpReference(const OpRegistry& ops, const KernelRegistry& kernels) {
  std::vector<const OpSchema*> all = ops.All();
  std::sort(all.begin(), all.end(), [](const OpSchema* a, const OpSchema* b) { return a->id < b->id; });
  std::ostringstream md;
  md << "# Op reference\n\n"
     << "Generated from the op and kernel registries by `make docs` (tools/gen_ops_doc); do not\n"
     << "edit by hand: change the op's schema in graph/ops/ and regenerate. A test fails when this\n"
     << "file is stale. Each op's definition states its numerics as the PyTorch operation it\n"
     << "matches. Kernels lists the dtypes (of the op's dispatch input) each backend implements:\n"
     << "`ref` are the reference kernels (the test oracle), `cpu` the fast CPU kernels (Highway,\n"
     << "oneDNN, TBB), which sessions use by default; a dtype without a `cpu` kernel runs on `ref`.\n"
     << "CUDA kernels (kernels/cuda/, built when CUDA is found) are not listed.\n\n";
  std::string family;
  for (const OpSchema* op : all) {
    if (FamilyOf(op->id) != family) {
      family = FamilyOf(op->id);
      md << "- " << family << ":";
      for (const OpSchema* o : all) {
        if (FamilyOf(o->id) == family) md << " [" << o->name << "](#" << o->name << ")";
      }
      md << "\n";
    }
  }
  family.clear();
  for (const OpSchema* op : all) {
    if (FamilyOf(op->id) != family) {
      family = FamilyOf(op->id);
      md << "\n## " << family << "\n";
    }
    md << "\n### " << op->name << "\n\n" << op->doc << "\n\n";
    md << "- Stable id: " << op->id << "\n";
    md << "- Inputs (" << op->ArityString() << "):";
    for (size_t i = 0; i < op->input_names.size(); ++i) md << (i ? ", " : " ") << "`" << op->input_names[i] << "`";
    if (op->max_inputs == kVariadic) md << ", ...";
    md << "\n- Outputs: " << (op->num_outputs == kVariadic ? std::string("decided by the attributes") : std::to_string(op->num_outputs)) << "\n";
    md << "- Fusion kind: " << FusionKindName(op->fusion) << "; differentiable: " << Differentiable(op->differentiability) << "\n";
    if (!op->is_source) md << "- Kernels: " << KernelDTypes(kernels, op->name) << "\n";
    if (!op->attrs.empty()) {
      md << "\n| attribute | type | default | meaning |\n|---|---|---|---|\n";
      for (const AttrSpec& a : op->attrs) {
        md << "| `" << a.name << "` | " << AttrTypeName(a.type) << " | "
           << (a.default_value ? "`" + Escape(a.default_value->ToText()) + "`" : std::string("required"))
           << " | " << Escape(a.doc) << " |\n";
      }
    }
  }
  return md.str();
}

}  // namespace bronze
