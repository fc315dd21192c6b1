// Plans and session-owned parameters: a node without a kernel for its dtype fails when the plan
// is built, naming node, op, device, dtype and the dtypes that do have kernels; a backend name
// forces that backend; plans bind symbols to concrete types; parameters are copied into the
// session, and set_parameter checks names, dtypes and shapes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/builder.h"
#include "runtime/session.h"

namespace bronze {
namespace {

template <typename E, typename F>
E ExpectError(F&& f, const std::vector<std::string>& pieces) {
  try {
    f();
  } catch (const E& e) {
    for (const std::string& p : pieces) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "missing '" << p << "' in: " << e.what();
    }
    return e;
  }
  ADD_FAILURE() << "no error of the expected type thrown";
  return E("");
}

// y = exp(x) for a placeholder x of `dtype`, created at "net.py:3".
Graph ExpGraph(DType dtype) {
  Graph g("exp_graph");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", dtype, {Dim::Symbol("N")});
  b.SetLocation("net.py:3");
  b.Output("y", b.Op1("exp", {x}, {}, "e"));
  return g;
}

SessionOptions WithBackend(const std::string& backend) {
  SessionOptions o;
  o.backend = backend;
  return o;
}

TEST(Plan, MissingKernelFailsAtPlanTimeNamingNodeOpDeviceDTypeAndAvailableDTypes) {
  // Every dtype exp's shape function accepts has a ref kernel, but the fast "cpu" backend has
  // exp in f32 only: forcing it on f64 has no kernel.
  Session session(ExpGraph(DType::kF64), WithBackend("cpu"));
  EXPECT_EQ(session.num_cached_plans(), 0u) << "nothing is planned before the first run";
  UnimplementedError e = ExpectError<UnimplementedError>(
      [&] { session.Run({Tensor::Empty(DType::kF64, {4})}); },
      {"node 'e' (exp)", "no cpu kernel for exp on cpu with dtype f64", "available dtypes: f32"});
  EXPECT_EQ(e.location(), "net.py:3");
  EXPECT_EQ(session.num_cached_plans(), 0u) << "a failed plan must not be cached";
  // Building the Plan directly fails the same way.
  ExpectError<UnimplementedError>(
      [] {
        Plan(ExpGraph(DType::kF64), {{"N", 2}}, PlanOptions{Device::CPU(), "cpu"});
      },
      {"node 'e' (exp)", "dtype f64", "available dtypes: f32"});
}

TEST(Plan, BackendNameForcesThatBackend) {
  Session ref(ExpGraph(DType::kF32), WithBackend("ref"));
  std::vector<Tensor> out = ref.Run({Tensor::FromVector<float>({2}, {0.0f, 1.0f})});
  EXPECT_EQ(out[0].data<float>()[0], 1.0f);
  EXPECT_FLOAT_EQ(out[0].data<float>()[1], 2.7182817f);

  Session missing(ExpGraph(DType::kF32), WithBackend("nosuch"));
  ExpectError<UnimplementedError>(
      [&] { missing.Run({Tensor::Empty(DType::kF32, {1})}); },
      {"node 'e' (exp)", "no nosuch kernel for exp on cpu with dtype f32"});
  // The CPU has no "cuda" kernels even where cuda kernels exist for the op and dtype.
  ExpectError<UnimplementedError>(
      [] {
        Plan(ExpGraph(DType::kF32), {{"N", 1}}, PlanOptions{Device::CPU(), "cuda"});
      },
      {"no cuda kernel for exp on cpu"});
}

TEST(Plan, BindsSymbolsAndMakesEveryTypeConcrete) {
  Graph g("concrete");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), Dim::Symbol("T"), 2});
  Value r = b.Op1("reshape", {x}, {{"shape", Shape{-1, 2}}}, "r");
  b.Output("y", b.Op1("relu", {r}, {}, "y"));
  Plan plan(g, {{"N", 3}, {"T", 5}}, PlanOptions{});
  EXPECT_EQ(plan.bindings(), (SymbolBindings{{"N", 3}, {"T", 5}}));
  EXPECT_EQ(plan.graph().type({plan.graph().FindNode("x"), 0}).ToString(), "f32[3, 5, 2]");
  EXPECT_EQ(plan.graph().type({plan.graph().FindNode("r"), 0}).ToString(), "f32[15, 2]");
  ASSERT_EQ(plan.steps().size(), 2u);
  EXPECT_EQ(plan.steps()[0].describe, "node 'r' (reshape)");
  EXPECT_EQ(plan.steps()[1].describe, "node 'y' (relu)");
  ASSERT_EQ(plan.input_slots().size(), 1u);
  ASSERT_EQ(plan.output_slots().size(), 1u);
  EXPECT_EQ(plan.slot_type(plan.output_slots()[0]).ToString(), "f32[15, 2]");
  EXPECT_EQ(plan.num_slots(), 3);
  // The caller's graph keeps its symbols.
  EXPECT_EQ(g.type(r).ToString(), "f32[N*T, 2]");
}

// y = x * w for a (2,)-shaped f32 parameter w.
struct ParamGraph {
  Tensor initial = Tensor::FromVector<float>({2}, {2.0f, 3.0f});
  Graph graph{"params"};
  ParamGraph() {
    GraphBuilder b(graph);
    b.Output("y", b.Op1("mul", {b.Placeholder("x", DType::kF32, {2}), b.Parameter("w", initial)}));
  }
};

std::vector<float> RunParam(const Session& s) {
  Tensor y = s.Run({Tensor::FromVector<float>({2}, {1.0f, 10.0f})})[0];
  return {y.data<float>()[0], y.data<float>()[1]};
}

TEST(SessionParameters, SessionOwnsACopyOfTheInitialValue) {
  ParamGraph pg;
  Session session(pg.graph);
  EXPECT_EQ(RunParam(session), (std::vector<float>{2.0f, 30.0f}));
  pg.initial.data<float>()[0] = 100.0f;  // the caller's tensor changes after the session exists
  EXPECT_EQ(RunParam(session), (std::vector<float>{2.0f, 30.0f}));
  Tensor owned = session.parameter("w");
  EXPECT_NE(owned.raw_data(), pg.initial.raw_data());
  EXPECT_EQ(owned.data<float>()[0], 2.0f);
}

TEST(SessionParameters, SetParameterReplacesTheValueWithACopy) {
  ParamGraph pg;
  Session session(pg.graph);
  Tensor next = Tensor::FromVector<float>({2}, {-1.0f, 0.5f});
  session.set_parameter("w", next);
  EXPECT_EQ(RunParam(session), (std::vector<float>{-1.0f, 5.0f}));
  next.data<float>()[1] = 7.0f;
  EXPECT_EQ(RunParam(session), (std::vector<float>{-1.0f, 5.0f})) << "set_parameter must copy";
  EXPECT_TRUE(BitwiseEqual(session.parameter("w"), Tensor::FromVector<float>({2}, {-1.0f, 0.5f})));
}

TEST(SessionParameters, SetParameterRejectsWrongShapeDTypeUndefinedValuesAndUnknownNames) {
  ParamGraph pg;
  Session session(pg.graph);
  ExpectError<ShapeError>([&] { session.set_parameter("w", Tensor::Zeros(DType::kF32, {3})); },
                          {"parameter 'w' is f32(2,)", "the new value is f32(3,)"});
  ExpectError<ShapeError>(
      [&] {
        session.set_parameter("w", Tensor::Zeros(DType::kF32, {1, 2}));
      },
      {"parameter 'w'", "f32(1, 2)"});
  ExpectError<TypeError>([&] { session.set_parameter("w", Tensor::Zeros(DType::kF64, {2})); },
                         {"parameter 'w' is f32(2,)", "the new value is f64(2,)"});
  ExpectError<InvalidArgumentError>([&] { session.set_parameter("w", Tensor()); },
                                    {"parameter 'w'", "undefined"});
  ExpectError<NotFoundError>(
      [&] { session.set_parameter("nope", Tensor::Zeros(DType::kF32, {2})); },
      {"graph 'params' has no parameter or state 'nope'"});
  ExpectError<NotFoundError>([&] { session.parameter("nope"); }, {"has no parameter or state 'nope'"});
  EXPECT_EQ(RunParam(session), (std::vector<float>{2.0f, 30.0f}))
      << "failed updates change nothing";
}

}  // namespace
}  // namespace bronze
