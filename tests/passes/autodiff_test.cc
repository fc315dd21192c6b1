// The autodiff pass itself (per-op gradients are checked in tests/ops/gradcheck_test.cc):
// accumulation over repeated uses, broadcast reduction with a symbolic batch dim, stop_gradient,
// unreachable values, the forward values the backward graph keeps, the registered pass, and the
// errors (a non-scalar loss, a differentiable op without a gradient builder).
#include <gtest/gtest.h>

#include "tests/support/gradcheck.h"
#include "tests/test_util.h"

namespace bronze::testing {
namespace {

Tensor Vec(Dims dims, std::vector<double> v) { return Tensor::FromVector<double>(std::move(dims), v); }

SessionOptions Ref() {
  SessionOptions o;
  o.backend = "ref";
  o.threads = 1;
  return o;
}

TEST(Autodiff, ValueUsedSeveralTimesAccumulates) {
  // loss = sum(x*x + x): d/dx = 2x + 1.
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, Shape{3});
  Value y = b.Op1("add", {b.Op1("mul", {x, x}), x});
  Value loss = b.Op1("reduce_sum", {y});
  Gradients d = BuildGradients(g, loss, std::vector<Value>{x});
  ASSERT_TRUE(d.grads[0].valid());
  g.AddOutput("dx", d.grads[0]);
  Verify(g);
  Tensor out = Session(g, Ref()).Run({{"x", Vec({3}, {1.5, -2, 0.25})}}).at("dx");
  EXPECT_EQ(out.GetAsDouble(0), 4.0);
  EXPECT_EQ(out.GetAsDouble(1), -3.0);
  EXPECT_EQ(out.GetAsDouble(2), 1.5);
}

TEST(Autodiff, BroadcastGradientIsSummedBackForEveryBatchSize) {
  // loss = sum((x + b) * w) with x (N, 2), b (2,): d/db = column sums of w, d/dx = w.
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, Shape{Dim::Symbol("N"), 2});
  Value w = b.Placeholder("w", DType::kF64, Shape{Dim::Symbol("N"), 2});
  Value bias = b.Parameter("b", Vec({2}, {0.5, -0.5}));
  Value loss = b.Op1("reduce_sum", {b.Op1("mul", {b.Op1("add", {x, bias}), w})});
  Gradients d = BuildGradients(g, loss, std::vector<Value>{x, bias});
  EXPECT_EQ(g.type(d.grads[0]), g.type(x));  // symbolic (N, 2) kept
  g.AddOutput("dx", d.grads[0]);
  g.AddOutput("db", d.grads[1]);
  Session s(g, Ref());
  for (int64_t n : {1, 3}) {
    std::vector<double> wv;
    for (int64_t i = 0; i < 2 * n; ++i) wv.push_back(0.5 * static_cast<double>(i) - 1);
    NamedTensors out = s.Run({{"x", Tensor::Zeros(DType::kF64, {n, 2})}, {"w", Vec({n, 2}, wv)}});
    double col0 = 0, col1 = 0;
    for (int64_t i = 0; i < n; ++i) {
      col0 += wv[static_cast<size_t>(2 * i)];
      col1 += wv[static_cast<size_t>(2 * i + 1)];
      EXPECT_EQ(out.at("dx").GetAsDouble(2 * i), wv[static_cast<size_t>(2 * i)]);
    }
    EXPECT_EQ(out.at("db").GetAsDouble(0), col0);
    EXPECT_EQ(out.at("db").GetAsDouble(1), col1);
  }
}

TEST(Autodiff, StopGradientBlocksTheGradient) {
  // loss = sum(x * stop_gradient(x)): d/dx = x, not 2x.
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, Shape{2});
  Value loss = b.Op1("reduce_sum", {b.Op1("mul", {x, b.Op1("stop_gradient", {x})})});
  Gradients d = BuildGradients(g, loss, std::vector<Value>{x});
  g.AddOutput("dx", d.grads[0]);
  Tensor out = Session(g, Ref()).Run({{"x", Vec({2}, {3, -4})}}).at("dx");
  EXPECT_EQ(out.GetAsDouble(0), 3.0);
  EXPECT_EQ(out.GetAsDouble(1), -4.0);
}

TEST(Autodiff, ValueTheLossDoesNotDependOnGetsNoGradient) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, Shape{2});
  Value unused = b.Parameter("unused", Vec({2}, {1, 2}));
  b.Output("other", b.Op1("mul", {unused, unused}));
  Value loss = b.Op1("reduce_sum", {x});
  const size_t before = g.num_nodes();
  Gradients d = BuildGradients(g, loss, std::vector<Value>{x, unused});
  EXPECT_TRUE(d.grads[0].valid());
  EXPECT_FALSE(d.grads[1].valid());
  EXPECT_LE(g.num_nodes(), before + 2);  // the seed and one expand, nothing for `unused`
}

TEST(Autodiff, SavedValuesAreTheForwardValuesTheBackwardReads) {
  // loss = sum(a * b) + sum(c): the backward of mul reads a and b; c's gradient needs no value.
  Graph g;
  GraphBuilder b(g);
  Value a = b.Placeholder("a", DType::kF64, Shape{2});
  Value p = b.Parameter("p", Vec({2}, {1, 2}));
  Value ab = b.Op1("mul", {a, p});
  Value c = b.Op1("add", {a, p});
  Value loss = b.Op1("add", {b.Op1("reduce_sum", {ab}), b.Op1("reduce_sum", {c})});
  Gradients d = BuildGradients(g, loss, std::vector<Value>{p});
  std::vector<std::string> saved;
  for (const Value& v : d.saved) saved.push_back(g.node(v.node).name);
  EXPECT_EQ(saved, (std::vector<std::string>{"a"}));  // d/dp of a*p reads a only
  for (NodeId id : g.node_ids()) {
    if (id >= d.first_backward_node) {
      EXPECT_EQ(g.node(id).name.rfind("grad/", 0), 0u) << g.node(id).name;
    }
  }
}

TEST(Autodiff, PassAddsGradientOutputsForParameters) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, Shape{2});
  Value w = b.Parameter("w", Vec({2}, {2, 3}));
  b.Output("loss", b.Op1("reduce_sum", {b.Op1("mul", {x, w})}));
  PassManager({"autodiff", "dce"}).Run(g);
  Verify(g);
  Tensor dw = Session(g, Ref()).Run({{"x", Vec({2}, {5, 7})}}).at("grad/w");
  EXPECT_EQ(dw.GetAsDouble(0), 5.0);
  EXPECT_EQ(dw.GetAsDouble(1), 7.0);
  Graph none;
  ExpectError<InvalidArgumentError>([&] { PassManager({"autodiff"}).Run(none); }, {"no output named 'loss'"});
}

TEST(Autodiff, MatchesCentralDifferencesOnAComposite) {
  Graph g;
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF64, Shape{2, 3});
  Value w = b.Parameter("w", Vec({3}, {0.3, -1.2, 2.0}));
  Value y = b.Op1("mul", {b.Op1("add", {x, w}), b.Op1("sub", {x, w})});
  b.Output("loss", b.Op1("reduce_sum", {b.Op1("mul", {y, y})}));
  NamedTensors in{{"x", Vec({2, 3}, {0.1, 0.2, -0.3, 0.4, -0.5, 0.6})}};
  EXPECT_EQ(CheckGradients(g, {"x", "w"}, in), "");
}

TEST(Autodiff, NonScalarLossIsRejected) {
  Graph g;
  GraphBuilder b(g);
  b.SetLocation("train.py:3");
  Value x = b.Placeholder("x", DType::kF32, Shape{2});
  Value y = b.Op1("mul", {x, x}, {}, "sq");
  std::string msg = ExpectError<InvalidArgumentError>(
      [&] { BuildGradients(g, y, std::vector<Value>{x}); },
      {"node 'sq' (mul)", "must be a float scalar", "f32[2]"});
  EXPECT_NE(msg.find("train.py:3"), std::string::npos) << msg;
}

TEST(Autodiff, DifferentiableOpWithoutBuilderNamesTheNode) {
  OpRegistry registry;
  for (const OpSchema* op : OpRegistry::Global().All()) registry.Register(*op);
  OpSchema mystery = *OpRegistry::Global().Find("neg");
  mystery.name = "mystery";
  mystery.id = 9999;
  mystery.grad = nullptr;
  registry.Register(mystery);
  Graph g;
  GraphBuilder b(g, registry);
  b.SetLocation("model.py:9");
  Value x = b.Placeholder("x", DType::kF32, Shape{2});
  Value y = b.Op1("mystery", {x}, {}, "m");
  Value loss = b.Op1("reduce_sum", {y});
  ExpectError<UnimplementedError>([&] { BuildGradients(g, loss, std::vector<Value>{x}); },
                                  {"node 'm' (mystery)", "no gradient builder", "model.py:9"});
}

}  // namespace
}  // namespace bronze::testing
