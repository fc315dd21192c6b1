// fold_conv_bn: the rewrite as a before/after text IR pair (with parameters, so the rescaling
// stays as ops; with constants, simplify folds it into two constants); the folded graph computes
// the same outputs as the unfolded one through a Session (ref kernels, random weights and running
// statistics, with and without a conv bias, grouped) within 1e-5 relative; the negative cases
// stay: batch statistics (training = 1), a conv output read elsewhere, running statistics read,
// and a training compile.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "graph/builder.h"
#include "passes/simplify.h"
#include "runtime/session.h"
#include "simplify_test_util.h"

namespace bronze {
namespace {

using testing::ExpectRewrite;
using testing::ExpectUnchanged;

constexpr const char* kConvAttrs =
    R"({auto_pad = "explicit", dilation = [1, 1], groups = 1, padding = [0, 0], stride = [1, 1]})";

std::string ConvBnText(const std::string& bn_attrs, const std::string& sources,
                       const std::string& extra_outputs = "") {
  return std::string(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 1, 3, 3)} : f32[N, 1, 3, 3]
)") + sources + "  %conv = conv2d(%x, %w, %b) " + kConvAttrs +
         R"( : f32[N, 2, 2, 2] @"model.py:3"
  %bn = batch_norm(%conv, %gamma, %beta, %mean, %var) )" +
         bn_attrs + R"( : f32[N, 2, 2, 2], f32[2], f32[2] @"model.py:4"
  %y = relu(%bn) : f32[N, 2, 2, 2]
  return y = %y)" + extra_outputs + "\n}\n";
}

const char* kParams = R"(  %w = parameter() {dtype = f32, shape = (2, 1, 2, 2)} : f32[2, 1, 2, 2] data [1, 2, 3, 4, 5, 6, 7, 8]
  %b = parameter() {dtype = f32, shape = (2,)} : f32[2] data [0.5, -1]
  %gamma = parameter() {dtype = f32, shape = (2,)} : f32[2] data [2, 0.5]
  %beta = parameter() {dtype = f32, shape = (2,)} : f32[2] data [0.25, 1]
  %mean = state() {dtype = f32, shape = (2,)} : f32[2] data [1, -2]
  %var = state() {dtype = f32, shape = (2,)} : f32[2] data [4, 0.25]
)";

const char* kEval = "{eps = 0.001, momentum = 0.1, training = 0}";

TEST(FoldConvBn, RewritesConvThenEvalBatchNormIntoOneConvOverRescaledParameters) {
  auto r = ExpectRewrite({"fold_conv_bn"}, ConvBnText(kEval, kParams),
                         std::string(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 1, 3, 3)} : f32[N, 1, 3, 3]
)") + kParams + R"(  %bn/fold_eps = constant() {dtype = f32, shape = ()} : f32[] data [0.001] @"model.py:4"
  %bn/fold_var_eps = add(%var, %bn/fold_eps) : f32[2] @"model.py:4"
  %bn/fold_inv_std = rsqrt(%bn/fold_var_eps) : f32[2] @"model.py:4"
  %bn/fold_scale = mul(%gamma, %bn/fold_inv_std) : f32[2] @"model.py:4"
  %bn/fold_scale4 = reshape(%bn/fold_scale) {shape = (2, 1, 1, 1)} : f32[2, 1, 1, 1] @"model.py:4"
  %bn/fold_weight = mul(%w, %bn/fold_scale4) : f32[2, 1, 2, 2] @"model.py:4"
  %bn/fold_centered_bias = sub(%b, %mean) : f32[2] @"model.py:4"
  %bn/fold_scaled_bias = mul(%bn/fold_centered_bias, %bn/fold_scale) : f32[2] @"model.py:4"
  %bn/fold_bias = add(%bn/fold_scaled_bias, %beta) : f32[2] @"model.py:4"
  %conv = conv2d(%x, %bn/fold_weight, %bn/fold_bias) )" + kConvAttrs +
                             R"( : f32[N, 2, 2, 2] @"model.py:3"
  %y = relu(%conv) : f32[N, 2, 2, 2]
  return y = %y
}
)");
  EXPECT_NE(r.RemarkText().find("fold_conv_bn: folded node 'bn' (batch_norm) into node 'conv' "
                                "(conv2d) (weight and bias rescaled)"),
            std::string::npos)
      << r.RemarkText();
}

TEST(FoldConvBn, KeepsBatchStatisticsSharedConvOutputsAndReadRunningStatistics) {
  auto r = ExpectUnchanged({"fold_conv_bn"},
                           ConvBnText("{eps = 0.001, momentum = 0.1, training = 1}", kParams));
  EXPECT_NE(r.RemarkText().find("not folded into 'conv': it normalizes with batch statistics"),
            std::string::npos)
      << r.RemarkText();
  r = ExpectUnchanged({"fold_conv_bn"}, ConvBnText(kEval, kParams, ", c = %conv"));
  EXPECT_NE(r.RemarkText().find("the output of 'conv' has other readers"), std::string::npos);
  r = ExpectUnchanged({"fold_conv_bn"}, ConvBnText(kEval, kParams, ", m = %bn#1"));
  EXPECT_NE(r.RemarkText().find("running-statistics outputs are graph outputs"), std::string::npos);
}

TEST(FoldConvBn, LeavesTrainingCompilesAlone) {
  ExpectUnchanged({"fold_conv_bn"}, ConvBnText(kEval, kParams), /*training=*/true);
}

struct ConvBnCase {
  bool bias;
  int64_t groups;
  bool parameters;  // weights as parameters (stay ops) or constants (fold to constants)
};

// x (N, 4, 6, 6) -> conv2d (8 out channels, 3x3, padding 1) -> batch_norm(eval) -> output.
Graph ConvBnGraph(const ConvBnCase& c, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1, 1), pos(0.2f, 3);
  auto random = [&](Dims dims, bool positive = false) {
    Tensor t = Tensor::Empty(DType::kF32, dims);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = positive ? pos(rng) : u(rng);
    return t;
  };
  Graph g;
  GraphBuilder b(g);
  auto source = [&](const std::string& name, Tensor t) {
    return c.parameters ? b.Parameter(name, t) : b.Constant(t, name);
  };
  Value x = b.Placeholder("x", DType::kF32, Shape({Dim::Symbol("N"), 4, 6, 6}));
  std::vector<Value> conv_in = {x, source("w", random({8, 4 / c.groups, 3, 3}))};
  if (c.bias) conv_in.push_back(source("b", random({8})));
  Value y = b.Op1("conv2d", conv_in, {{"padding", std::vector<int64_t>{1, 1}}, {"groups", c.groups}},
                  "conv");
  Value bn = b.Op("batch_norm",
                  {y, source("gamma", random({8})), source("beta", random({8})),
                   source("mean", random({8})), source("var", random({8}, true))},
                  {{"training", int64_t{0}}, {"eps", 1e-3}}, "bn")[0];
  b.Output("y", bn);
  return g;
}

TEST(FoldConvBn, FoldedAndUnfoldedGraphsAgreeOnRandomWeights) {
  std::mt19937 rng(1234);
  for (const ConvBnCase& c : {ConvBnCase{true, 1, false}, ConvBnCase{false, 1, false},
                              ConvBnCase{true, 2, true}, ConvBnCase{false, 4, true}}) {
    SCOPED_TRACE(::testing::Message() << "bias " << c.bias << " groups " << c.groups
                                      << " parameters " << c.parameters);
    Graph g = ConvBnGraph(c, rng);
    SessionOptions plain;
    plain.backend = "ref";
    plain.pipeline = {"shape_infer"};
    SessionOptions folded = plain;
    folded.pipeline = InferencePipeline();
    folded.pass_options.verify_each = true;
    Session reference(g, plain), simplified(g, folded);
    for (NodeId id : simplified.graph().node_ids()) {
      EXPECT_NE(simplified.graph().node(id).op_name(), "batch_norm");
      if (!c.parameters) {
        // Everything but the input and the conv folded into the conv's weight and bias.
        const std::string& op = simplified.graph().node(id).op_name();
        EXPECT_TRUE(op == "placeholder" || op == "conv2d" || op == "constant") << op;
      }
    }
    if (!c.parameters) {
      EXPECT_EQ(simplified.graph().num_nodes(), 4u);
    }
    std::uniform_real_distribution<float> u(-2, 2);
    Tensor x = Tensor::Empty(DType::kF32, {3, 4, 6, 6});
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);
    Tensor want = reference.Run(std::vector<Tensor>{x})[0];
    Tensor got = simplified.Run(std::vector<Tensor>{x})[0];
    ASSERT_EQ(want.dims(), got.dims());
    double max_abs = 0;
    for (int64_t i = 0; i < want.numel(); ++i) max_abs = std::max(max_abs, std::abs(want.GetAsDouble(i)));
    for (int64_t i = 0; i < want.numel(); ++i) {
      ASSERT_NEAR(got.GetAsDouble(i), want.GetAsDouble(i), 1e-5 * max_abs) << "element " << i;
    }
  }
}

}  // namespace
}  // namespace bronze
