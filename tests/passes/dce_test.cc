// dce as before/after text IR pairs: dead nodes and whole dead chains go, as do parameters and
// constants nothing live reads; placeholders, graph outputs and everything they depend on stay;
// a second run reports no change.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "graph/text.h"
#include "graph/verifier.h"
#include "passes/pass_manager.h"

namespace bronze {
namespace {

// Runs dce once through the pass manager and returns whether it reported a change.
bool RunDce(Graph& g) {
  std::vector<PassRun> runs = PassManager({"dce"}).Run(g);
  EXPECT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs.at(0).name, "dce");
  EXPECT_FALSE(runs.at(0).skipped);
  return runs.at(0).changed;
}

// Runs dce over `before` and checks the result prints exactly as `after`, is structurally equal
// to `after` parsed, still verifies, and that a second run changes nothing.
void ExpectDce(std::string_view before, std::string_view after, bool expect_changed) {
  Graph g = ParseGraph(before);
  ASSERT_NO_THROW(Verify(g)) << "the test's input graph must be valid";
  EXPECT_EQ(RunDce(g), expect_changed);
  EXPECT_EQ(PrintGraph(g), after);
  std::string why;
  EXPECT_TRUE(StructurallyEqual(g, ParseGraph(after), &why)) << why;
  EXPECT_NO_THROW(Verify(g));
  EXPECT_FALSE(RunDce(g)) << "a second dce run must find nothing to remove";
  EXPECT_EQ(PrintGraph(g), after);
}

TEST(Dce, RemovesADeadChainAndTheParameterOnlyItReads) {
  ExpectDce(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3]
  %w = parameter() {dtype = f32, shape = (3, 2)} : f32[3, 2] data [1, 2.5, 3, 4, 5, 6]
  %dead_w = parameter() {dtype = f32, shape = (2,)} : f32[2] data [1, 2]
  %y = matmul(%x, %w) : f32[N, 2] @"model.py:4"
  %d1 = relu(%y) : f32[N, 2]
  %d2 = exp(%d1) : f32[N, 2]
  %d3 = add(%d2, %dead_w) : f32[N, 2] @"model.py:7"
  return y = %y
}
)",
            R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3]
  %w = parameter() {dtype = f32, shape = (3, 2)} : f32[3, 2] data [1, 2.5, 3, 4, 5, 6]
  %y = matmul(%x, %w) : f32[N, 2] @"model.py:4"
  return y = %y
}
)",
            true);
}

TEST(Dce, KeepsPlaceholdersNothingReads) {
  ExpectDce(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (4,)} : f32[4]
  %mask = placeholder() {dtype = bool, shape = (N,)} : bool[N]
  %unused = placeholder() {dtype = i64, shape = ()} : i64[]
  %e = exp(%x) : f32[4]
  return e = %e
}
)",
            R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (4,)} : f32[4]
  %mask = placeholder() {dtype = bool, shape = (N,)} : bool[N]
  %unused = placeholder() {dtype = i64, shape = ()} : i64[]
  %e = exp(%x) : f32[4]
  return e = %e
}
)",
            false);
}

TEST(Dce, RemovesUnusedConstantsAndParametersButKeepsSharedProducers) {
  // %a feeds both a live and a dead node: it stays, the dead branch goes.
  ExpectDce(R"(graph "m" {
  %x = placeholder() {dtype = f64, shape = (2,)} : f64[2]
  %c = constant() {dtype = f64, shape = (2,)} : f64[2] data [0.5, -1]
  %unused_c = constant() {dtype = i32, shape = (3,)} : i32[3] data [1, 2, 3]
  %unused_p = parameter() {dtype = f64, shape = (2,)} : f64[2] data [7, 8]
  %a = mul(%x, %c) : f64[2]
  %dead = exp(%a) : f64[2]
  %dead2 = sub(%dead, %unused_p) : f64[2]
  %live = add(%a, %a) : f64[2]
  return out = %live
}
)",
            R"(graph "m" {
  %x = placeholder() {dtype = f64, shape = (2,)} : f64[2]
  %c = constant() {dtype = f64, shape = (2,)} : f64[2] data [0.5, -1]
  %a = mul(%x, %c) : f64[2]
  %live = add(%a, %a) : f64[2]
  return out = %live
}
)",
            true);
}

TEST(Dce, KeepsEveryNodeAnyGraphOutputReads) {
  // Two outputs, one of them an intermediate of the other and one a placeholder itself.
  ExpectDce(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (2, 3)} : f32[2, 3]
  %t = transpose(%x) {perm = []} : f32[3, 2]
  %r = relu(%t) : f32[3, 2]
  %s = reduce_sum(%r) {axes = [0], keepdims = 0} : f32[2]
  %lonely = reduce_sum(%x) {axes = [], keepdims = 1} : f32[1, 1]
  return s = %s, r = %r, x = %x
}
)",
            R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (2, 3)} : f32[2, 3]
  %t = transpose(%x) {perm = []} : f32[3, 2]
  %r = relu(%t) : f32[3, 2]
  %s = reduce_sum(%r) {axes = [0], keepdims = 0} : f32[2]
  return s = %s, r = %r, x = %x
}
)",
            true);
}

TEST(Dce, AGraphWithoutOutputsKeepsOnlyItsPlaceholders) {
  ExpectDce(R"(graph "m" {
  %x = placeholder() {dtype = i32, shape = (5,)} : i32[5]
  %w = parameter() {dtype = i32, shape = (5,)} : i32[5] data [1, 2, 3, 4, 5]
  %y = add(%x, %w) : i32[5]
  %z = relu(%y) : i32[5]
}
)",
            R"(graph "m" {
  %x = placeholder() {dtype = i32, shape = (5,)} : i32[5]
}
)",
            true);
}

TEST(Dce, ErasesNodesSoTheirNamesAreFreeAgain) {
  Graph g = ParseGraph(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (2,)} : f32[2]
  %dead = relu(%x) : f32[2]
  return x = %x
})");
  ASSERT_NE(g.FindNode("dead"), kNoNode);
  EXPECT_TRUE(RunDce(g));
  EXPECT_EQ(g.FindNode("dead"), kNoNode);
  EXPECT_EQ(g.num_nodes(), 1u);
  EXPECT_EQ(g.UniqueName("dead"), "dead");
}

}  // namespace
}  // namespace bronze
