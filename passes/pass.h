// The pass interface and registry. A pass is a named function over a Graph that reports whether
// it changed anything. Passes register by name (passes/<name>.cc) so pipelines are plain lists of
// names, printable and overridable from C++, the CLI and Python.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "graph/graph.h"

namespace bronze {

// One line of a compile's explanation: what a pass did or why it did not ("fused add+relu into
// fused_0", "matmul_3: not fused: its output has two readers"). `bronze opt --explain` and
// model.explain() print them.
struct PassRemark {
  std::string pass;
  std::string text;
};

// What a pass may want to know about the compile it is part of.
struct PassContext {
  bool training = false;         // a training graph (keeps what the backward pass needs)
  std::ostream* log = nullptr;   // where a pass may explain itself; may be null
  std::vector<PassRemark>* remarks = nullptr;  // where explanations are collected; may be null
  std::string pass;              // the name of the pass being run (set by the PassManager)
  // Pass names the pipeline disables (PipelineOptions::disabled); a pass that runs others
  // (simplify) skips those listed. May be null.
  const std::vector<std::string>* disabled = nullptr;

  // Records one explanation line for the current pass (no-op when nobody collects them).
  void Remark(std::string text) {
    if (remarks) remarks->push_back({pass, std::move(text)});
  }
  bool Disabled(std::string_view name) const {
    if (!disabled) return false;
    for (const std::string& d : *disabled) {
      if (d == name) return true;
    }
    return false;
  }
};

using PassFn = std::function<bool(Graph& graph, PassContext& context)>;

struct PassInfo {
  std::string name;
  std::string description;
  PassFn run;
};

class PassRegistry {
 public:
  static const PassRegistry& Global();
  void Register(PassInfo info);
  // Throws NotFoundError listing the known passes.
  const PassInfo& Get(std::string_view name) const;
  const PassInfo* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::vector<PassInfo> passes_;
};

// Built-in passes (one file each); PassRegistry::Global() registers them all.
bool ShapeInferPass(Graph& graph, PassContext& context);
bool DcePass(Graph& graph, PassContext& context);
bool FusePass(Graph& graph, PassContext& context);

}  // namespace bronze
