// The verifier rejects each kind of broken graph with its own message: a cycle, a wrong arity,
// a wrong attribute type, an annotated type that does not match inference, dangling inputs,
// inconsistent source data and bad graph outputs.
#include <gtest/gtest.h>

#include "test_util.h"

namespace bronze {
namespace {

using testing::ExpectError;

// x -> relu -> exp -> out, built through the builder (valid).
struct Chain {
  Graph g{"chain"};
  Value x, r, e;
  Chain() {
    GraphBuilder b(g);
    x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 3});
    r = b.Op1("relu", {x}, {}, "r");
    e = b.Op1("exp", {r}, {}, "e");
    b.Output("out", e);
  }
};

TEST(Verifier, AcceptsABuiltGraph) {
  Chain c;
  EXPECT_NO_THROW(Verify(c.g));
}

TEST(Verifier, RejectsACycle) {
  Chain c;
  c.g.node(c.r.node).inputs[0] = c.e;  // r reads e, e reads r
  ExpectError<GraphError>([&] { Verify(c.g); }, {"cycle", "'r'", "'e'"});
}

TEST(Verifier, RejectsAWrongArity) {
  Chain c;
  c.g.node(c.e.node).inputs.push_back(c.x);
  ExpectError<GraphError>([&] { Verify(c.g); }, {"exp node 'e'", "wrong arity", "expects 1 inputs, has 2"});
}

TEST(Verifier, RejectsAWrongAttributeType) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {2, 3});
  Value s = b.Op1("reduce_sum", {x}, {}, "s");
  g.node(s.node).attrs["axes"] = Attribute(1.5);
  ExpectError<AttributeError>([&] { Verify(g); },
                              {"reduce_sum node 's'", "attribute 'axes' has type float, expected ints"});
}

TEST(Verifier, RejectsAnAnnotationThatDoesNotMatchInference) {
  Chain c;
  c.g.node(c.e.node).outputs[0].shape = Shape{Dim::Symbol("N"), 4};
  ExpectError<ShapeError>([&] { Verify(c.g); },
                          {"node 'e' (exp)", "annotated output 0 type f32[N, 4]", "inferred f32[N, 3]"});
  Chain d;
  d.g.node(d.r.node).outputs[0].dtype = DType::kF64;
  // r's annotation is wrong (inference says f32); the verifier catches it at r.
  ExpectError<ShapeError>([&] { Verify(d.g); }, {"node 'r' (relu)", "f64[N, 3]", "f32[N, 3]"});
}

TEST(Verifier, RejectsDanglingInputsAndOutputs) {
  Chain c;
  c.g.node(c.e.node).inputs[0] = Value{c.r.node, 3};
  ExpectError<GraphError>([&] { Verify(c.g); }, {"exp node 'e'", "reads output 3", "has 1 outputs"});
  Chain d;
  d.g.node(d.e.node).inputs[0] = Value{42, 0};
  ExpectError<GraphError>([&] { Verify(d.g); }, {"node 'e'", "node id 42", "does not exist"});
  Chain o;
  o.g.mutable_outputs().push_back({"out", o.r});
  ExpectError<GraphError>([&] { Verify(o.g); }, {"two outputs named 'out'"});
}

TEST(Verifier, RejectsSourceDataThatDisagreesWithItsAttributes) {
  Graph g;
  GraphBuilder b(g);
  Value c = b.Constant(Tensor::Zeros(DType::kF32, {2}), "c");
  g.node(c.node).data = Tensor::Zeros(DType::kF32, {3});
  ExpectError<GraphError>([&] { Verify(g); }, {"node 'c' (constant)", "f32(3,)", "f32[2]"});
  g.node(c.node).data = Tensor();
  ExpectError<GraphError>([&] { Verify(g); }, {"node 'c' (constant) has no value"});
}

TEST(Verifier, RejectsSymbolicParameterShapes) {
  Graph g;
  GraphBuilder b(g);
  ExpectError<AttributeError>(
      [&] { b.Op("parameter", {}, {{"dtype", DType::kF32}, {"shape", Shape{Dim::Symbol("N")}}}); },
      {"parameter", "static shape", "(N,)"});
}

}  // namespace
}  // namespace bronze
