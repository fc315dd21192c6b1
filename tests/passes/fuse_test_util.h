// Helpers of the fuse pass tests (fuse_test.cc, fuse_epilogue_test.cc, fuse_reduction_test.cc):
// run the pass over a text IR graph and check the rewrite against the expected text.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "graph/text.h"
#include "graph/verifier.h"
#include "passes/pass_manager.h"

namespace bronze::testing {

// Runs the fuse pass alone over `g`; returns whether it changed the graph.
inline bool RunFuse(Graph& g, std::vector<PassRemark>* remarks = nullptr) {
  PipelineOptions o;
  o.remarks = remarks;
  return PassManager({"fuse"}, o).Run(g).at(0).changed;
}

// The remarks, one "pass: text" per line.
inline std::string Remarks(const std::vector<PassRemark>& remarks) {
  std::string s;
  for (const PassRemark& r : remarks) s += r.pass + ": " + r.text + "\n";
  return s;
}

// Runs fuse over `before`; checks whether it changed the graph, the text result, structural
// equality with `after`, that it verifies and that a second run changes nothing. Returns the
// first run's remarks (Remarks).
inline std::string ExpectFuse(std::string_view before, std::string_view after,
                              bool expect_changed) {
  Graph g = ParseGraph(before);
  EXPECT_NO_THROW(Verify(g)) << "the test's input graph must be valid";
  std::vector<PassRemark> remarks;
  EXPECT_EQ(RunFuse(g, &remarks), expect_changed);
  EXPECT_EQ(PrintGraph(g), after);
  std::string why;
  EXPECT_TRUE(StructurallyEqual(g, ParseGraph(after), &why)) << why;
  EXPECT_NO_THROW(Verify(g));
  EXPECT_FALSE(RunFuse(g)) << "a second fuse run must find nothing to do";
  return Remarks(remarks);
}

}  // namespace bronze::testing
