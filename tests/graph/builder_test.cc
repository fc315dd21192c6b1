// GraphBuilder: validated node creation. Shape, dtype and attribute errors surface while the
// graph is built, naming the op, the node, the shapes and the user's line.
#include <gtest/gtest.h>

#include "test_util.h"

namespace bronze {
namespace {

using testing::ExpectError;

TEST(GraphBuilder, InfersSymbolicShapesAtOnce) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 3});
  Value w = b.Parameter("w", Tensor::Zeros(DType::kF32, {3, 5}));
  Value y = b.Op1("matmul", {x, w});
  EXPECT_EQ(b.type(y).ToString(), "f32[N, 5]");
  Value r = b.Op1("reshape", {y}, {{"shape", Shape{-1}}});
  EXPECT_EQ(b.type(r).ToString(), "f32[5*N]");
  Value s = b.Op1("reduce_sum", {y}, {{"axes", std::vector<int64_t>{-1}}, {"keepdims", 1}});
  EXPECT_EQ(b.type(s).ToString(), "f32[N, 1]");
}

TEST(GraphBuilder, BroadcastMismatchNamesOpNodeShapesAndLocation) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 3});
  Value c = b.Constant(Tensor::Zeros(DType::kF32, {4}), "c");
  b.SetLocation("model.py:12");
  ExpectError<ShapeError>([&] { b.Op1("add", {x, c}, {}, "sum"); },
                          {"add", "node 'sum'", "(N, 3)", "(4,)", "model.py:12"});
  EXPECT_EQ(g.FindNode("sum"), kNoNode) << "a failed op must not leave a node behind";
}

TEST(GraphBuilder, DTypeMismatchIsATypeError) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {2});
  Value y = b.Placeholder("y", DType::kI64, {2});
  ExpectError<TypeError>([&] { b.Op1("mul", {x, y}); }, {"mul", "f32[2]", "i64[2]"});
  ExpectError<TypeError>([&] { b.Op1("exp", {y}); }, {"exp", "i64"});
}

TEST(GraphBuilder, AttributeErrorsNameTheAttribute) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {2, 3});
  ExpectError<AttributeError>([&] { b.Op1("reduce_sum", {x}, {{"axis", 1}}); },
                              {"reduce_sum", "unknown attribute 'axis'", "axes, keepdims"});
  ExpectError<AttributeError>([&] { b.Op1("reduce_sum", {x}, {{"axes", "0"}}); },
                              {"attribute 'axes' has type string, expected ints"});
  ExpectError<AttributeError>([&] { b.Op1("reduce_sum", {x}, {{"keepdims", 2}}); },
                              {"keepdims must be 0 or 1"});
  ExpectError<AttributeError>([&] { b.Op1("reshape", {x}); }, {"missing required attribute 'shape'"});
  ExpectError<AttributeError>([&] { b.Op1("reshape", {x}, {{"shape", Shape{-1, -1}}}); },
                              {"more than one -1"});
}

TEST(GraphBuilder, ArityAndUnknownOps) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {2});
  ExpectError<GraphError>([&] { b.Op1("add", {x}); }, {"add", "expects 2 inputs, got 1"});
  ExpectError<NotFoundError>([&] { b.Op1("rellu", {x}); }, {"unknown op 'rellu'", "did you mean relu"});
  ExpectError<InvalidArgumentError>([&] { b.Op1("relu", {Value{99, 0}}); }, {"relu", "not a value"});
}

TEST(GraphBuilder, ScopesPrefixNamesAndNamesStayUnique) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {2});
  b.PushScope("encoder");
  Value a = b.Op1("relu", {x});
  Value c = b.Op1("relu", {a});
  b.PopScope();
  EXPECT_EQ(g.node(a.node).name, "encoder/relu");
  EXPECT_EQ(g.node(c.node).name, "encoder/relu_1");
  EXPECT_THROW(b.PopScope(), InvalidArgumentError);
  ExpectError<InvalidArgumentError>([&] { b.Placeholder("x", DType::kF32, {1}); }, {"'x' is already used"});
}

TEST(GraphBuilder, RecordsLocations) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {2});
  Value y;
  {
    ScopedLocation loc(b, "train.py:7 block/act");
    y = b.Op1("relu", {x});
  }
  Value z = b.Op1("relu", {y});
  EXPECT_EQ(g.node(y.node).location, "train.py:7 block/act");
  EXPECT_EQ(g.node(z.node).location, "");
}

}  // namespace
}  // namespace bronze
