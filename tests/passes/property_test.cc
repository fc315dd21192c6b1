// Property tests for the passes: a few hundred seeded random DAGs of elementwise, broadcast,
// reduction, matmul and shape ops (reshape, transpose, expand, slice, concat) over inputs with a
// symbolic batch dim N, seeded with constant subgraphs (so folding triggers), duplicated
// subexpressions (so CSE triggers), siblings that differ only in an attribute (so CSE must tell
// them apart) and *1 / +0 / same-shape reshapes (so identities trigger).
// Each graph runs through a Session on the reference kernels with only shape_infer (the oracle)
// and then with each registered pass (except autodiff-like ones, which change the outputs), and
// with all of them together, every pass followed by the verifier; outputs agree within
// tolerance for two batch sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "graph/builder.h"
#include "graph/text.h"
#include "passes/pass_manager.h"
#include "runtime/evaluator.h"
#include "runtime/session.h"

namespace bronze {
namespace {

constexpr int kGraphs = 300;
constexpr int kOpsPerGraph = 14;

// Passes that change what a graph computes (they add outputs) are not equivalence-preserving.
bool ChangesOutputs(const std::string& pass) {
  return pass.find("autodiff") != std::string::npos || pass.find("train") != std::string::npos;
}

class RandomGraph {
 public:
  explicit RandomGraph(uint32_t seed) : rng_(seed), b_(g_) {}

  Graph Build() {
    const Dim n = Dim::Symbol("N");
    values_.push_back(b_.Placeholder("x", DType::kF32, Shape({n, 4})));
    values_.push_back(b_.Placeholder("z", DType::kF32, Shape({n, 2, 3})));
    for (int i = 0; i < kOpsPerGraph; ++i) {
      for (int attempt = 0; attempt < 8; ++attempt) {
        if (Step()) break;
      }
    }
    // Two to three outputs among the later values; earlier ones may end up dead.
    const int outputs = 2 + Pick(2);
    for (int k = 0; k < outputs; ++k) {
      size_t lo = values_.size() > 6 ? values_.size() - 6 : 0;
      b_.Output("out" + std::to_string(k), values_[lo + static_cast<size_t>(Pick(static_cast<int>(values_.size() - lo)))]);
    }
    return std::move(g_);
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  float Uniform() { return std::uniform_real_distribution<float>(-1.5f, 1.5f)(rng_); }
  Value Any() { return values_[static_cast<size_t>(Pick(static_cast<int>(values_.size())))]; }
  const Shape& ShapeOf(Value v) { return b_.type(v).shape; }

  Tensor RandomTensor(Dims dims) {
    Tensor t = Tensor::Empty(DType::kF32, dims);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = Uniform();
    return t;
  }
  Tensor Filled(Dims dims, float value) {
    Tensor t = Tensor::Empty(DType::kF32, dims);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = value;
    return t;
  }
  // The static trailing dims of a value's shape (everything after N).
  Dims Trailing(Value v) {
    Dims d;
    for (int64_t i = 1; i < ShapeOf(v).rank(); ++i) d.push_back(ShapeOf(v)[i].value());
    return d;
  }
  // A constant computed from constants (folds away): c1 op c2, or unary(c1).
  Value ConstantExpr(Dims dims) {
    Value c = b_.Constant(RandomTensor(dims));
    switch (Pick(3)) {
      case 0: return b_.Op1("tanh", {c});
      case 1: return b_.Op1("add", {c, b_.Constant(RandomTensor(dims))});
      default: return b_.Op1("mul", {b_.Op1("neg", {c}), b_.Constant(Filled({}, 0.5f))});
    }
  }
  bool Keep(Value v) {
    values_.push_back(v);
    return true;
  }

  // Adds one random op; false when the random choice does not fit (the caller retries).
  bool Step() {
    static const char* kUnary[] = {"relu", "neg", "tanh", "sigmoid", "abs"};
    static const char* kBinary[] = {"add", "sub", "mul", "maximum"};
    Value a = Any();
    const Shape& s = ShapeOf(a);
    const bool batched = s.rank() >= 1 && !s[0].is_static();
    try {
      switch (Pick(14)) {
        case 0: return Keep(b_.Op1(kUnary[Pick(5)], {a}));
        case 1: {  // same-shape binary with another value of the same type
          std::vector<Value> same;
          for (Value v : values_) {
            if (b_.type(v) == b_.type(a)) same.push_back(v);
          }
          Value c = same[static_cast<size_t>(Pick(static_cast<int>(same.size())))];
          return Keep(b_.Op1(kBinary[Pick(4)], {a, c}));
        }
        case 2: {  // broadcast against a folded constant of the trailing dims (or a scalar)
          if (!batched) return false;
          Dims d = Trailing(a);
          if (Pick(2) == 0) d = {};
          return Keep(b_.Op1(kBinary[Pick(4)], {a, ConstantExpr(d)}));
        }
        case 3: {  // identities: x*1, 1*x, x+0, x-0, x/1
          Dims d = Pick(2) ? Dims{} : Dims{1};
          switch (Pick(5)) {
            case 0: return Keep(b_.Op1("mul", {a, b_.Constant(Filled(d, 1))}));
            case 1: return Keep(b_.Op1("mul", {b_.Constant(Filled(d, 1)), a}));
            case 2: return Keep(b_.Op1("add", {a, b_.Constant(Filled(d, 0))}));
            case 3: return Keep(b_.Op1("sub", {a, b_.Constant(Filled(d, 0))}));
            default: return Keep(b_.Op1("div", {a, b_.Constant(Filled(d, 1))}));
          }
        }
        case 4: {  // a duplicate of an existing computation (same op, inputs, attributes)
          std::vector<NodeId> ops;
          for (NodeId id : g_.node_ids()) {
            if (!g_.node(id).op->is_source && g_.node(id).outputs.size() == 1) ops.push_back(id);
          }
          if (ops.empty()) return false;
          const Node& n = g_.node(ops[static_cast<size_t>(Pick(static_cast<int>(ops.size())))]);
          return Keep(b_.Op1(n.op->name, n.inputs, n.attrs));
        }
        case 5: {  // reduction over the last axis
          if (s.rank() < 2) return false;
          static const char* kReduce[] = {"reduce_sum", "reduce_mean", "reduce_max"};
          return Keep(b_.Op1(kReduce[Pick(3)], {a},
                             {{"axes", std::vector<int64_t>{-1}}, {"keepdims", int64_t{Pick(2)}}}));
        }
        case 6: {  // matmul by a constant or parameter (N, k) x (k, m)
          if (s.rank() != 2 || !batched) return false;
          Tensor w = RandomTensor({s[1].value(), 1 + Pick(4)});
          Value wv = Pick(2) ? b_.Constant(w) : b_.Parameter(g_.UniqueName("w"), w);
          return Keep(b_.Op1("matmul", {a, wv}));
        }
        case 7: {  // reshape: merge or split trailing dims (or the same shape), maybe twice
          if (!batched) return false;
          Dims d = Trailing(a);
          int64_t total = 1;
          for (int64_t v : d) total *= v;
          std::vector<Dim> target = {Dim::Symbol("N")};
          int kind = Pick(3);
          if (kind == 0) {
            target.push_back(total);
          } else if (kind == 1 && total % 2 == 0) {
            target.push_back(2);
            target.push_back(total / 2);
          } else {
            for (int64_t v : d) target.push_back(v);
          }
          Value r = b_.Op1("reshape", {a}, {{"shape", Shape(target)}});
          if (Pick(2)) r = b_.Op1("reshape", {r}, {{"shape", Shape({Dim::Symbol("N"), -1})}});
          return Keep(r);
        }
        case 8: {  // transpose, sometimes transposed back (cancels) or again (composes)
          std::vector<int64_t> perm(static_cast<size_t>(s.rank()));
          for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
          std::shuffle(perm.begin(), perm.end(), rng_);
          Value t = b_.Op1("transpose", {a}, {{"perm", perm}});
          if (Pick(2)) {
            std::vector<int64_t> inverse(perm.size());
            for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
            if (Pick(2)) std::shuffle(inverse.begin(), inverse.end(), rng_);
            t = b_.Op1("transpose", {t}, {{"perm", inverse}});
          }
          return Keep(t);
        }
        case 9: {  // expand a size-1 trailing dim (keepdims reduction) or to the same shape
          if (s.rank() < 2) return false;
          std::vector<Dim> target = s.dims();
          if (target.back() == Dim(1)) target.back() = 3;
          return Keep(b_.Op1("expand", {a}, {{"shape", Shape(target)}}));
        }
        case 10: {  // slice of the last axis
          if (s.rank() < 1 || !s[s.rank() - 1].is_static() || s[s.rank() - 1].value() < 2) return false;
          int64_t len = s[s.rank() - 1].value();
          int64_t start = Pick(static_cast<int>(len - 1));
          return Keep(b_.Op1("slice", {a},
                             {{"starts", std::vector<int64_t>{start}},
                              {"stops", std::vector<int64_t>{len}},
                              {"axes", std::vector<int64_t>{-1}}}));
        }
        case 11: {  // concat with another value (or a constant) along the last axis
          if (s.rank() < 1) return false;
          std::vector<Value> peers;
          for (Value v : values_) {
            const Shape& t = ShapeOf(v);
            if (t.rank() != s.rank() || b_.type(v).dtype != b_.type(a).dtype) continue;
            bool ok = true;
            for (int64_t i = 0; i + 1 < s.rank(); ++i) ok = ok && t[i] == s[i];
            if (ok) peers.push_back(v);
          }
          Value c = peers[static_cast<size_t>(Pick(static_cast<int>(peers.size())))];
          return Keep(b_.Op1("concat", {a, c}, {{"axis", int64_t{-1}}}));
        }
        case 12: {  // siblings that differ only in an attribute (CSE must keep them apart)
          if (Pick(2)) {
            Value l1 = b_.Op1("leaky_relu", {a}, {{"negative_slope", 0.1}});
            Value l2 = b_.Op1("leaky_relu", {a}, {{"negative_slope", 0.3}});
            values_.push_back(l1);
            return Keep(b_.Op1(kBinary[Pick(4)], {l1, l2}));
          }
          if (s.rank() < 1 || !s[s.rank() - 1].is_static() || s[s.rank() - 1].value() < 2) return false;
          const int64_t len = s[s.rank() - 1].value();
          auto cut = [&](int64_t start) {
            return b_.Op1("slice", {a},
                          {{"starts", std::vector<int64_t>{start}},
                           {"stops", std::vector<int64_t>{start + len - 1}},
                           {"axes", std::vector<int64_t>{-1}}});
          };
          Value s1 = cut(0), s2 = cut(1);
          values_.push_back(s1);
          return Keep(b_.Op1(kBinary[Pick(4)], {s1, s2}));
        }
        default: {  // a constant-only chain combined with a batched value (folds)
          if (!batched) return false;
          Value c = ConstantExpr(Trailing(a));
          c = b_.Op1("relu", {b_.Op1("add", {c, ConstantExpr(Trailing(a))})});
          return Keep(b_.Op1("add", {a, c}));
        }
      }
    } catch (const Error&) {
      return false;  // a random combination the op rejects; try another
    }
  }

  std::mt19937 rng_;
  Graph g_;
  GraphBuilder b_;
  std::vector<Value> values_;
};

std::vector<Tensor> Inputs(const Session& session, int64_t batch, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-2, 2);
  std::vector<Tensor> in;
  for (const TensorSpec& spec : session.input_specs()) {
    Tensor t = Tensor::Empty(spec.dtype, spec.shape.Evaluate({{"N", batch}}));
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
    in.push_back(t);
  }
  return in;
}

// Outputs agree within a tolerance relative to the output's largest magnitude (sums and matmuls
// are computed the same way by the ref kernels either side; folding may round differently).
::testing::AssertionResult Agree(const std::vector<Tensor>& want, const std::vector<Tensor>& got) {
  if (want.size() != got.size()) return ::testing::AssertionFailure() << "output count differs";
  for (size_t k = 0; k < want.size(); ++k) {
    if (want[k].dims() != got[k].dims() || want[k].dtype() != got[k].dtype()) {
      return ::testing::AssertionFailure() << "output " << k << ": " << DimsToString(want[k].dims())
                                           << " vs " << DimsToString(got[k].dims());
    }
    double scale = 1;
    for (int64_t i = 0; i < want[k].numel(); ++i) scale = std::max(scale, std::abs(want[k].GetAsDouble(i)));
    for (int64_t i = 0; i < want[k].numel(); ++i) {
      double w = want[k].GetAsDouble(i), g = got[k].GetAsDouble(i);
      if (!(std::abs(w - g) <= 1e-5 * scale)) {
        return ::testing::AssertionFailure() << "output " << k << " element " << i << ": want " << w
                                             << ", got " << g;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(PassProperties, RandomGraphsComputeTheSameWithEachPassAndWithAll) {
  InstallKernelEvaluator();
  std::vector<std::string> passes;
  for (const std::string& p : PassRegistry::Global().Names()) {
    if (p != "shape_infer" && !ChangesOutputs(p)) passes.push_back(p);
  }
  std::vector<std::vector<std::string>> pipelines;
  for (const std::string& p : passes) pipelines.push_back({"shape_infer", p});
  std::vector<std::string> all = {"shape_infer"};
  all.insert(all.end(), passes.begin(), passes.end());
  pipelines.push_back(all);
  pipelines.push_back(InferencePipeline());

  std::map<std::string, int> changed;  // pass -> graphs it changed
  std::vector<PassRemark> remarks;
  std::mt19937 input_rng(99);
  for (int seed = 0; seed < kGraphs; ++seed) {
    Graph g = RandomGraph(static_cast<uint32_t>(seed)).Build();
    SessionOptions oracle_options;
    oracle_options.backend = "ref";
    oracle_options.pipeline = {"shape_infer"};
    Session oracle(g, oracle_options);
    std::vector<std::vector<Tensor>> inputs, want;
    for (int64_t batch : {1, 3}) {
      inputs.push_back(Inputs(oracle, batch, input_rng));
      want.push_back(oracle.Run(inputs.back()));
    }
    for (const std::vector<std::string>& pipeline : pipelines) {
      SCOPED_TRACE("seed " + std::to_string(seed) + ", pipeline " + PipelineToString(pipeline));
      SessionOptions options = oracle_options;
      options.pipeline = pipeline;
      options.pass_options.verify_each = true;
      options.pass_options.remarks = &remarks;
      Graph copy = g;
      std::vector<PassRun> runs = PassManager(pipeline, options.pass_options).Run(copy);
      if (pipeline.size() == 2 && runs[1].changed) ++changed[pipeline[1]];
      std::unique_ptr<Session> session;
      try {
        session = std::make_unique<Session>(g, options);
      } catch (const Error& e) {
        ADD_FAILURE() << e.what() << "\n" << PrintGraph(g, {.elide_data = true});
        continue;
      }
      for (size_t i = 0; i < inputs.size(); ++i) {
        ::testing::AssertionResult ok = Agree(want[i], session->Run(inputs[i]));
        EXPECT_TRUE(ok) << PrintGraph(g, {.elide_data = true}) << "\nafter:\n"
                        << PrintGraph(session->graph(), {.elide_data = true});
        if (!ok) return;
      }
    }
  }
  // The generator must exercise every rewrite, or the property says little.
  for (const char* p : {"dce", "fold_constants", "cse", "algebraic", "simplify"}) {
    EXPECT_GT(changed[p], kGraphs / 10) << p << " changed only " << changed[p] << " graphs";
  }
  std::string text;
  for (const PassRemark& r : remarks) text += r.pass + ": " + r.text + "\n";
  for (const char* what : {"folded ", "merged ", "x*1 is x", "x+0 is x", "composed transposes",
                           "transpose by the identity"}) {
    EXPECT_NE(text.find(what), std::string::npos) << "no remark with '" << what << "'";
  }
}

}  // namespace
}  // namespace bronze
