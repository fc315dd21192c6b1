// shape_infer as before/after text IR pairs: wrong annotations (the parser keeps them as written)
// are replaced by the inferred types, symbolic dims survive reshape, transpose and reductions,
// and a failing node yields an error naming the pass, op, node, both shapes and the user's line.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "graph/text.h"
#include "graph/verifier.h"
#include "passes/pass_manager.h"

namespace bronze {
namespace {

bool RunShapeInfer(Graph& g) {
  std::vector<PassRun> runs = PassManager({"shape_infer"}).Run(g);
  EXPECT_EQ(runs.size(), 1u);
  return runs.at(0).changed;
}

void ExpectShapeInfer(std::string_view before, std::string_view after, bool expect_changed) {
  Graph g = ParseGraph(before);
  EXPECT_EQ(RunShapeInfer(g), expect_changed);
  EXPECT_EQ(PrintGraph(g), after);
  std::string why;
  EXPECT_TRUE(StructurallyEqual(g, ParseGraph(after), &why)) << why;
  EXPECT_NO_THROW(Verify(g)) << "inferred annotations must satisfy the verifier";
  EXPECT_FALSE(RunShapeInfer(g)) << "a second run must find every annotation right";
}

// Runs shape_infer over `text`, expecting error type E whose what() holds every piece and whose
// location() is `location`.
template <typename E>
void ExpectInferError(std::string_view text, const std::vector<std::string>& pieces,
                      const std::string& location) {
  Graph g = ParseGraph(text);
  try {
    RunShapeInfer(g);
    FAIL() << "shape_infer accepted an invalid graph";
  } catch (const E& e) {
    for (const std::string& p : pieces) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "missing '" << p << "' in: " << e.what();
    }
    EXPECT_EQ(e.location(), location);
  }
}

TEST(ShapeInfer, ReplacesWrongAnnotationsWithInferredTypes) {
  ExpectShapeInfer(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f64[2]
  %w = parameter() {dtype = f32, shape = (3, 2)} : f32[9] data [1, 2, 3, 4, 5, 6]
  %y = matmul(%x, %w) : i32[7, 7] @"model.py:4"
  %r = relu(%y) : f32[N, 2]
  %s = reduce_sum(%r) {axes = [-1], keepdims = 0} : f32[]
  return s = %s
}
)",
                   R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3]
  %w = parameter() {dtype = f32, shape = (3, 2)} : f32[3, 2] data [1, 2, 3, 4, 5, 6]
  %y = matmul(%x, %w) : f32[N, 2] @"model.py:4"
  %r = relu(%y) : f32[N, 2]
  %s = reduce_sum(%r) {axes = [-1], keepdims = 0} : f32[N]
  return s = %s
}
)",
                   true);
}

TEST(ShapeInfer, KeepsSymbolicDimsThroughReshapeTransposeAndReductions) {
  ExpectShapeInfer(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, T, 8)} : f32[1]
  %flat = reshape(%x) {shape = (-1, 8)} : f32[1]
  %t = transpose(%x) {perm = [1, 0, -1]} : f32[1]
  %s = reduce_sum(%x) {axes = [1], keepdims = 1} : i32[]
  %s2 = reduce_sum(%t) {axes = [0, 2], keepdims = 0} : i32[]
  %e = exp(%flat) : f32[N*T, 8]
  %r = reshape(%e) {shape = (N, -1)} : f32[]
  return flat = %e, t = %t, s = %s, s2 = %s2, r = %r
}
)",
                   R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, T, 8)} : f32[N, T, 8]
  %flat = reshape(%x) {shape = (-1, 8)} : f32[N*T, 8]
  %t = transpose(%x) {perm = [1, 0, -1]} : f32[T, N, 8]
  %s = reduce_sum(%x) {axes = [1], keepdims = 1} : f32[N, 1, 8]
  %s2 = reduce_sum(%t) {axes = [0, 2], keepdims = 0} : f32[N]
  %e = exp(%flat) : f32[N*T, 8]
  %r = reshape(%e) {shape = (N, -1)} : f32[N, 8*T]
  return flat = %e, t = %t, s = %s, s2 = %s2, r = %r
}
)",
                   true);
}

TEST(ShapeInfer, CorrectAnnotationsReportNoChange) {
  const char* text = R"(graph "m" {
  %a = placeholder() {dtype = i64, shape = (B, 1, 4)} : i64[B, 1, 4]
  %b = placeholder() {dtype = i64, shape = (3, 1)} : i64[3, 1]
  %c = add(%a, %b) : i64[B, 3, 4]
  %v = placeholder() {dtype = i64, shape = (4,)} : i64[4]
  %m = matmul(%c, %v) : i64[B, 3]
  return m = %m
}
)";
  ExpectShapeInfer(text, text, false);
}

TEST(ShapeInfer, BroadcastErrorNamesPassOpNodeShapesAndLocation) {
  ExpectInferError<ShapeError>(
      R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3]
  %c = constant() {dtype = f32, shape = (4,)} : f32[4] data [1, 2, 3, 4]
  %bad = add(%x, %c) : f32[N, 3] @"file.py:3"
  return y = %bad
})",
      {"pass 'shape_infer'", "add node 'bad'", "cannot broadcast", "(N, 3)", "(4,)", "file.py:3"},
      "file.py:3");
}

TEST(ShapeInfer, DTypeMismatchIsATypeErrorNamingBothTypes) {
  ExpectInferError<TypeError>(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3]
  %c = constant() {dtype = i64, shape = (3,)} : i64[3] data [1, 2, 3]
  %bad = mul(%x, %c) : f32[N, 3] @"file.py:5"
  return y = %bad
})",
                              {"mul node 'bad'", "f32[N, 3]", "i64[3]", "file.py:5"}, "file.py:5");
}

TEST(ShapeInfer, MatmulContractionMismatchNamesBothOperands) {
  ExpectInferError<ShapeError>(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, T, 8)} : f32[N, T, 8]
  %w = parameter() {dtype = f32, shape = (4, 2)} : f32[4, 2] data [1, 2, 3, 4, 5, 6, 7, 8]
  %mm = matmul(%x, %w) : f32[N, T, 2] @"file.py:9"
  return y = %mm
})",
                               {"matmul node 'mm'", "(N, T, 8)", "(4, 2)", "K = 8", "K = 4"},
                               "file.py:9");
}

TEST(ShapeInfer, ErrorsDownstreamOfAWrongAnnotationUseTheInferredType) {
  // %x's annotation claims (N, 4), which would make the add valid; inference must use (N, 3)
  // from the attributes and report the real mismatch at %bad.
  ExpectInferError<ShapeError>(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 4]
  %c = constant() {dtype = f32, shape = (4,)} : f32[4] data [1, 2, 3, 4]
  %bad = sub(%x, %c) : f32[N, 4] @"file.py:12"
  return y = %bad
})",
                               {"sub node 'bad'", "(N, 3)", "(4,)"}, "file.py:12");
}

TEST(ShapeInfer, InvalidAttributeIsAnAttributeErrorNamingTheNode) {
  ExpectInferError<AttributeError>(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (2, 3)} : f32[2, 3]
  %s = reduce_sum(%x) {axes = [0], keepdims = 2} : f32[3] @"file.py:20"
  return s = %s
})",
                                   {"reduce_sum node 's'", "keepdims must be 0 or 1"},
                                   "file.py:20");
}

}  // namespace
}  // namespace bronze
