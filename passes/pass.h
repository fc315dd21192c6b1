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

// What a pass may want to know about the compile it is part of.
struct PassContext {
  bool training = false;         // a training graph (keeps what the backward pass needs)
  std::ostream* log = nullptr;   // where a pass may explain itself; may be null
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

}  // namespace bronze
