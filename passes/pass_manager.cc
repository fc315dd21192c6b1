// Pass registry and pass manager.
#include "passes/pass_manager.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "graph/error.h"
#include "graph/op_registry.h"
#include "graph/text.h"
#include "graph/verifier.h"
#include "passes/autodiff.h"
#include "passes/simplify.h"

namespace bronze {

const PassRegistry& PassRegistry::Global() {
  static const PassRegistry* registry = [] {
    auto* r = new PassRegistry();
    r->Register({"shape_infer", "infers every node's output dtype and shape (symbolic dims kept)",
                 ShapeInferPass});
    r->Register({"dce", "removes nodes no graph output depends on (placeholders and side-effect "
                        "ops stay)", DcePass});
    r->Register({"autodiff", "appends the gradients of the output 'loss' with respect to every "
                             "parameter, as outputs 'grad/<parameter>'", AutodiffPass});
    r->Register({"fuse", "folds bias, activation and residual adds into linear/matmul/conv2d "
                         "(oneDNN post-ops), then fuses chains of elementwise and broadcast ops "
                         "into fused_elementwise nodes run tile by tile (f32, bool), then lets "
                         "row reductions (softmax, layer_norm, reduce_*, pointwise losses) take "
                         "the groups before and after them (fused_reduction)", FusePass});
    r->Register({"fold_constants", "replaces pure nodes whose inputs are all constants by their "
                                   "values (results up to 1 MiB; needs an evaluator)",
                 FoldConstantsPass});
    r->Register({"cse", "merges nodes of the same op, inputs and attributes (and equal small "
                        "constants)", CsePass});
    r->Register({"algebraic", "removes exact identities (x*1, x+0, x-0, x/1, same-type reshape, "
                              "cast, expand, identity transpose) and composes transposes and "
                              "reshapes", AlgebraicPass});
    r->Register({"fold_conv_bn", "folds an inference batch_norm into the conv2d before it "
                                 "(rescaled weight and bias)", FoldConvBnPass});
    r->Register({"simplify", "runs fold_constants, cse, algebraic, fold_conv_bn and dce until "
                             "none changes the graph", SimplifyPass});
    return r;
  }();
  return *registry;
}

void PassRegistry::Register(PassInfo info) {
  if (Find(info.name)) ThrowInternal("pass '" + info.name + "' registered twice");
  passes_.push_back(std::move(info));
}

const PassInfo* PassRegistry::Find(std::string_view name) const {
  for (const PassInfo& p : passes_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const PassInfo& PassRegistry::Get(std::string_view name) const {
  if (const PassInfo* p = Find(name)) return *p;
  std::string known;
  for (const PassInfo& p : passes_) known += (known.empty() ? "" : ", ") + p.name;
  throw NotFoundError("unknown pass '" + std::string(name) + "' (known passes: " + known + ")");
}

std::vector<std::string> PassRegistry::Names() const {
  std::vector<std::string> out;
  for (const PassInfo& p : passes_) out.push_back(p.name);
  return out;
}

// simplify comes before fusion: it exposes the chains fusion looks for; fuse runs last.
std::vector<std::string> InferencePipeline() {
  return {"shape_infer", "simplify", "dce", "fuse"};
}
std::vector<std::string> TrainingPipeline() {
  return {"shape_infer", "simplify", "dce", "fuse"};
}

static std::vector<std::string> SplitList(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t next = text.find(sep, pos);
    std::string item(text.substr(pos, next == std::string_view::npos ? text.npos : next - pos));
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

std::vector<std::string> ParsePipeline(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string& name : SplitList(text, ',')) {
    if (name == "infer") {
      for (auto& p : InferencePipeline()) out.push_back(p);
    } else if (name == "train") {
      for (auto& p : TrainingPipeline()) out.push_back(p);
    } else {
      PassRegistry::Global().Get(name);  // throws for an unknown pass
      out.push_back(name);
    }
  }
  return out;
}

std::string PipelineToString(const std::vector<std::string>& pipeline) {
  std::string s;
  for (const std::string& p : pipeline) s += (s.empty() ? "" : ",") + p;
  return s;
}

PipelineOptions PipelineOptions::Parse(std::string_view text) {
  PipelineOptions o;
  for (const std::string& item : SplitList(text, ',')) {
    std::string key = item.substr(0, item.find('='));
    std::string value = item.find('=') == std::string::npos ? "" : item.substr(item.find('=') + 1);
    if (key == "verify-each") {
      o.verify_each = true;
    } else if (key == "time-passes") {
      o.time_passes = true;
    } else if (key == "print-passes") {
      o.print_passes = true;
    } else if (key == "disable" && !value.empty()) {
      for (const std::string& p : SplitList(value, ':')) {
        PassRegistry::Global().Get(p);
        o.disabled.push_back(p);
      }
    } else if (key == "dump-after" && !value.empty()) {
      std::vector<std::string> parts = SplitList(value, ':');
      o.dump_dir = parts[0];
      o.dump_after.assign(parts.begin() + 1, parts.end());
      for (const std::string& p : o.dump_after) {
        if (p != "input") PassRegistry::Global().Get(p);  // a typo would silently dump nothing
      }
    } else {
      throw InvalidArgumentError("unknown pass option '" + item +
                                 "' (known: verify-each, time-passes, print-passes, "
                                 "disable=PASS[:PASS], dump-after=DIR[:PASS...])");
    }
  }
  return o;
}

PassManager::PassManager(std::vector<std::string> pipeline, PipelineOptions options)
    : pipeline_(std::move(pipeline)), options_(std::move(options)) {
  for (const std::string& p : pipeline_) PassRegistry::Global().Get(p);
  for (const std::string& p : options_.disabled) PassRegistry::Global().Get(p);
  for (const std::string& p : options_.dump_after) {
    if (p != "input") PassRegistry::Global().Get(p);
  }
}

static bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<PassRun> PassManager::Run(Graph& graph) const {
  std::ostream& log = options_.log ? *options_.log : std::cerr;
  PassContext ctx;
  ctx.training = options_.training;
  ctx.log = &log;
  ctx.remarks = options_.remarks;
  ctx.disabled = &options_.disabled;
  if (options_.print_passes) log << "pipeline: " << PipelineToString(pipeline_) << "\n";
  int dump_index = 0;
  auto dump = [&](const std::string& after) {
    if (options_.dump_dir.empty()) return;
    if (!options_.dump_after.empty() && !Contains(options_.dump_after, after)) {
      ++dump_index;
      return;
    }
    std::error_code ec;
    std::filesystem::create_directories(options_.dump_dir, ec);
    if (ec) throw IoError("cannot create IR dump directory " + options_.dump_dir + ": " + ec.message());
    char prefix[16];
    std::snprintf(prefix, sizeof(prefix), "%02d-", dump_index++);
    std::filesystem::path path = std::filesystem::path(options_.dump_dir) / (prefix + after + ".txt");
    std::ofstream f(path);
    f << PrintGraph(graph, TextOptions{.elide_data = true});
    if (!f) throw IoError("cannot write IR dump " + path.string());
  };
  if (options_.verify_each) {
    try {
      Verify(graph);
    } catch (const Error& e) {
      RethrowWithContext(e, "before the first pass: ", "");
    }
  }
  dump("input");
  std::vector<PassRun> runs;
  for (const std::string& name : pipeline_) {
    PassRun run;
    run.name = name;
    if (Contains(options_.disabled, name)) {
      run.skipped = true;
      runs.push_back(run);
      continue;
    }
    const PassInfo& pass = PassRegistry::Global().Get(name);
    ctx.pass = name;
    auto t0 = std::chrono::steady_clock::now();
    try {
      run.changed = pass.run(graph, ctx);
    } catch (const Error& e) {
      RethrowWithContext(e, "pass '" + name + "': ", "");
    }
    run.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (options_.verify_each) {
      try {
        Verify(graph);
      } catch (const Error& e) {
        RethrowWithContext(e, "verifier failed after pass '" + name + "': ", "");
      }
    }
    dump(name);
    runs.push_back(run);
  }
  if (options_.time_passes) {
    double total = 0;
    for (const PassRun& r : runs) total += r.milliseconds;
    char line[160];
    log << "pass timings:\n";
    for (const PassRun& r : runs) {
      std::snprintf(line, sizeof(line), "  %-20s %10.3f ms  %s\n", r.name.c_str(), r.milliseconds,
                    r.skipped ? "(disabled)" : r.changed ? "(changed)" : "");
      log << line;
    }
    std::snprintf(line, sizeof(line), "  %-20s %10.3f ms\n", "total", total);
    log << line;
  }
  return runs;
}

}  // namespace bronze
