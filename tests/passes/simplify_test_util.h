// Shared by the simplify pass tests: run a pipeline over a text IR graph and compare the result
// with the expected text IR, collecting the passes' remarks.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "graph/text.h"
#include "graph/verifier.h"
#include "passes/pass_manager.h"
#include "runtime/evaluator.h"

namespace bronze::testing {

struct RewriteResult {
  bool changed = false;
  std::vector<PassRemark> remarks;
  // All remark texts joined by newlines, for EXPECT_THAT-free substring checks.
  std::string RemarkText() const {
    std::string s;
    for (const PassRemark& r : remarks) s += r.pass + ": " + r.text + "\n";
    return s;
  }
};

// Runs `pipeline` (with the verifier after every pass) over `before` and checks that the result
// prints exactly as `after`, is structurally equal to `after` parsed, and that running the
// pipeline again changes nothing.
inline RewriteResult ExpectRewrite(const std::vector<std::string>& pipeline,
                                   std::string_view before, std::string_view after,
                                   bool training = false) {
  InstallKernelEvaluator();
  RewriteResult result;
  Graph g = ParseGraph(before);
  EXPECT_NO_THROW(Verify(g)) << "the test's input graph must be valid";
  PipelineOptions options;
  options.verify_each = true;
  options.training = training;
  options.remarks = &result.remarks;
  for (const PassRun& run : PassManager(pipeline, options).Run(g)) {
    result.changed = result.changed || run.changed;
  }
  EXPECT_EQ(PrintGraph(g), after);
  std::string why;
  EXPECT_TRUE(StructurallyEqual(g, ParseGraph(after), &why)) << why;
  std::vector<PassRemark> again;
  options.remarks = &again;
  bool changed_again = false;
  for (const PassRun& run : PassManager(pipeline, options).Run(g)) {
    changed_again = changed_again || run.changed;
  }
  EXPECT_FALSE(changed_again) << "a second run must find nothing to rewrite";
  EXPECT_EQ(PrintGraph(g), after);
  return result;
}

// Expects `text` (a graph) to come out of `pipeline` unchanged.
inline RewriteResult ExpectUnchanged(const std::vector<std::string>& pipeline, std::string_view text,
                                     bool training = false) {
  RewriteResult r = ExpectRewrite(pipeline, text, text, training);
  EXPECT_FALSE(r.changed);
  return r;
}

}  // namespace bronze::testing
