// The memory planner and the arena run loop, against oracles computed here:
// - the arena of a plan is at most 1.1x the largest total size of intermediates live at once,
//   a bound this test computes from the step order and the graph's uses (not from the planner);
// - no two values that can be live at once overlap in the arena (checked against lifetimes and,
//   for task-graph schedules, a happens-before relation both computed here from the graph);
// - outputs (and, for training steps, updated parameters) are bitwise identical to running the
//   plan's kernels one step at a time with a fresh allocation per output (the old executor);
// over random DAGs (elementwise, broadcast, reduction, matmul, shape ops), an MLP, a CNN and
// their training steps, with the loop and the task-graph schedulers.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "graph/builder.h"
#include "graph/op_registry.h"
#include "passes/training.h"
#include "runtime/planner.h"
#include "runtime/session.h"

namespace bronze {
namespace {

size_t Align64(size_t bytes) { return (std::max<size_t>(bytes, 1) + 63) / 64 * 64; }

size_t BytesOf(const TensorType& t) {
  return static_cast<size_t>(NumElements(t.shape.static_dims())) * DTypeSize(t.dtype);
}

Tensor Random(const Dims& dims, std::mt19937_64& rng, DType dtype = DType::kF32) {
  std::normal_distribution<double> dist(0.0, 1.0);
  Tensor t = Tensor::Empty(dtype, dims);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (dtype == DType::kF32) t.data<float>()[i] = static_cast<float>(dist(rng));
    if (dtype == DType::kF64) t.data<double>()[i] = dist(rng);
  }
  return t;
}

// The intermediates of a plan as this test sees them: values computed by a step that are not
// graph outputs and not in-place updates of state, with the step that makes them and the last
// step that reads them (from the graph's own input lists).
struct Lifetime {
  Value value;
  int slot;
  size_t bytes;
  int def;
  int last;
  std::vector<int> accesses;
};

std::vector<Lifetime> Intermediates(const Plan& plan) {
  const Graph& g = plan.graph();
  std::map<NodeId, int> step_of;
  for (size_t s = 0; s < plan.steps().size(); ++s) step_of[plan.steps()[s].node] = static_cast<int>(s);
  std::set<std::pair<NodeId, int>> outputs;
  for (const GraphOutput& o : g.outputs()) outputs.insert({o.value.node, o.value.index});
  std::vector<Lifetime> result;
  for (const auto& [id, s] : step_of) {
    const Node& n = g.node(id);
    std::set<int> aliased;
    for (const auto& [k, j] : InplacePairs(n)) aliased.insert(k);
    for (int k = 0; k < static_cast<int>(n.outputs.size()); ++k) {
      if (aliased.count(k) || outputs.count({id, k})) continue;
      Lifetime l{{id, k}, plan.slot_of({id, k}), Align64(BytesOf(n.outputs[static_cast<size_t>(k)])), s, s, {s}};
      result.push_back(l);
    }
  }
  for (const auto& [id, s] : step_of) {
    for (const Value& v : g.node(id).inputs) {
      for (Lifetime& l : result) {
        if (l.value.node == v.node && l.value.index == v.index) {
          l.last = std::max(l.last, s);
          l.accesses.push_back(s);
        }
      }
    }
  }
  return result;
}

// The largest total (64-byte aligned) size of intermediates alive at one step.
size_t LiveBound(const std::vector<Lifetime>& values, size_t num_steps) {
  size_t bound = 0;
  for (size_t s = 0; s < num_steps; ++s) {
    size_t live = 0;
    for (const Lifetime& l : values) {
      if (l.def <= static_cast<int>(s) && static_cast<int>(s) <= l.last) live += l.bytes;
    }
    bound = std::max(bound, live);
  }
  return bound;
}

// Steps an execution must finish before step b starts: its ancestors through the graph's data
// edges (the test's own reachability; only for graphs without in-place updates).
std::vector<std::set<int>> Ancestors(const Plan& plan) {
  const Graph& g = plan.graph();
  std::map<NodeId, int> step_of;
  for (size_t s = 0; s < plan.steps().size(); ++s) step_of[plan.steps()[s].node] = static_cast<int>(s);
  std::vector<std::set<int>> anc(plan.steps().size());
  for (size_t s = 0; s < plan.steps().size(); ++s) {
    for (const Value& v : g.node(plan.steps()[s].node).inputs) {
      auto it = step_of.find(v.node);
      if (it == step_of.end()) continue;
      anc[s].insert(it->second);
      anc[s].insert(anc[static_cast<size_t>(it->second)].begin(), anc[static_cast<size_t>(it->second)].end());
    }
  }
  return anc;
}

// Checks the plan's memory against this test's lifetimes; returns the live bound.
size_t CheckArena(const Plan& plan, const std::string& what) {
  const MemoryPlan& mem = plan.memory();
  std::vector<Lifetime> values = Intermediates(plan);
  for (const Lifetime& l : values) {
    EXPECT_EQ(mem.kind[static_cast<size_t>(l.slot)], SlotKind::kArena) << what;
    EXPECT_EQ(mem.offset[static_cast<size_t>(l.slot)] % 64, 0u) << what;
    EXPECT_LE(mem.offset[static_cast<size_t>(l.slot)] + l.bytes, plan.arena_bytes()) << what;
  }
  const bool parallel = plan.schedule().parallel;
  std::vector<std::set<int>> anc;
  if (parallel) anc = Ancestors(plan);
  auto all_before = [&](const Lifetime& a, int start) {
    for (int x : a.accesses) {
      if (!anc[static_cast<size_t>(start)].count(x)) return false;
    }
    return true;
  };
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = i + 1; j < values.size(); ++j) {
      const Lifetime& a = values[i];
      const Lifetime& b = values[j];
      bool concurrent = parallel ? !(all_before(a, b.def) || all_before(b, a.def))
                                 : !(a.last < b.def || b.last < a.def);
      if (!concurrent) continue;
      // In place: b takes over a's buffer at the step where a is last read.
      const Lifetime& early = a.def <= b.def ? a : b;
      const Lifetime& late = a.def <= b.def ? b : a;
      if (!parallel && mem.reuses[static_cast<size_t>(late.slot)] >= 0 && early.last == late.def) {
        const Node& n = plan.graph().node(plan.steps()[static_cast<size_t>(late.def)].node);
        const std::set<std::string> views = {"reshape", "flatten", "squeeze", "unsqueeze",
                                              "stop_gradient"};
        EXPECT_TRUE(n.op->fusion == FusionKind::kElementwise ||
                    n.op->fusion == FusionKind::kBroadcast || views.count(n.op->name))
            << what << ": in place for " << n.Describe();
        continue;
      }
      size_t a0 = mem.offset[static_cast<size_t>(a.slot)], b0 = mem.offset[static_cast<size_t>(b.slot)];
      EXPECT_TRUE(a0 + a.bytes <= b0 || b0 + b.bytes <= a0)
          << what << ": slots " << a.slot << " and " << b.slot << " are live together and overlap";
    }
  }
  size_t bound = LiveBound(values, plan.steps().size());
  if (!parallel) {
    EXPECT_LE(static_cast<double>(plan.arena_bytes()), 1.1 * static_cast<double>(bound))
        << what << ": arena " << plan.arena_bytes() << " B, live bound " << bound << " B";
  }
  return bound;
}

// The old executor: every step's outputs freshly allocated, steps in plan order, one thread.
// `state` maps parameter and state node ids to their tensors (updated in place).
std::vector<Tensor> NaiveRun(const Plan& plan, const std::vector<Tensor>& inputs,
                             std::map<NodeId, Tensor>& state) {
  std::vector<Tensor> slots(static_cast<size_t>(plan.num_slots()));
  for (size_t i = 0; i < inputs.size(); ++i) slots[static_cast<size_t>(plan.input_slots()[i])] = inputs[i];
  for (const auto& [slot, id] : plan.state_slots()) {
    const Node& n = plan.graph().node(id);
    slots[static_cast<size_t>(slot)] = n.op->name == "constant" ? n.data : state.at(id);
  }
  ExecContext ctx{1};
  for (const PlanStep& step : plan.steps()) {
    std::vector<Tensor> in, out;
    for (int s : step.inputs) in.push_back(slots[static_cast<size_t>(s)]);
    for (size_t k = 0; k < step.outputs.size(); ++k) {
      int alias = -1;
      for (const auto& [o, j] : step.aliases) alias = o == static_cast<int>(k) ? j : alias;
      const TensorType& t = plan.slot_type(step.outputs[k]);
      out.push_back(alias >= 0 ? in[static_cast<size_t>(alias)] : Tensor::Empty(t.dtype, t.shape.static_dims()));
    }
    step.kernel->Run(in, out, ctx);
    for (size_t k = 0; k < step.outputs.size(); ++k) slots[static_cast<size_t>(step.outputs[k])] = out[k];
  }
  std::vector<Tensor> result;
  for (int s : plan.output_slots()) result.push_back(slots[static_cast<size_t>(s)]);
  return result;
}

std::map<NodeId, Tensor> CloneState(const Session& session) {
  std::map<NodeId, Tensor> state;
  const Graph& g = session.graph();
  for (NodeId id : g.node_ids()) {
    const std::string& op = g.node(id).op->name;
    if (op == "parameter" || op == "state") state[id] = session.parameter(g.node(id).name).Clone();
  }
  return state;
}

// Runs `graph` through a Session (arena, the given scheduler) `runs` times and through the naive
// executor on a copy of the state; outputs and final state must match bitwise. Checks the arena.
void CheckGraph(const Graph& graph, const std::vector<Tensor>& inputs, const std::string& what,
                SchedulerMode mode = SchedulerMode::kSequential, int threads = 1,
                const std::string& backend = "", int runs = 2) {
  SessionOptions o;
  o.scheduler = mode;
  o.threads = threads;
  o.backend = backend;
  Session session(graph, o);
  std::shared_ptr<const Plan> plan = session.PlanFor(inputs);
  if (mode == SchedulerMode::kParallel && threads > 1) {
    EXPECT_TRUE(plan->schedule().parallel) << what;
  }
  CheckArena(*plan, what);
  std::map<NodeId, Tensor> state = CloneState(session);
  for (int r = 0; r < runs; ++r) {
    std::vector<Tensor> got = session.Run(inputs);
    std::vector<Tensor> want = NaiveRun(*plan, inputs, state);
    ASSERT_EQ(got.size(), want.size());
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_TRUE(BitwiseEqual(got[k], want[k])) << what << " run " << r << " output " << k << ":\n"
                                                 << got[k].ToString() << "\n" << want[k].ToString();
    }
  }
  for (const auto& [id, t] : state) {
    EXPECT_TRUE(BitwiseEqual(session.parameter(session.graph().node(id).name), t))
        << what << ": state " << session.graph().node(id).name;
  }
}

// A random DAG over f32 values of shape [R, C] (and [R, 1], [C] for broadcasting): unary,
// binary with broadcasting, reductions, matmul with a parameter, double transposes.
Graph RandomGraph(uint64_t seed, int64_t rows, int64_t cols, int num_ops) {
  std::mt19937_64 rng(seed);
  Graph g("random_" + std::to_string(seed));
  GraphBuilder b(g);
  std::vector<Value> full{b.Placeholder("x", DType::kF32, Shape{rows, cols})};
  std::vector<Value> row{b.Parameter("bias", Random({cols}, rng))};  // [C]
  std::vector<Value> col;                                              // [R, 1]
  auto pick = [&](const std::vector<Value>& v) { return v[rng() % v.size()]; };
  const char* unary[] = {"relu", "neg", "tanh", "sigmoid", "abs"};
  const char* binary[] = {"add", "mul", "sub", "maximum"};
  for (int i = 0; i < num_ops; ++i) {
    switch (rng() % 7) {
      case 0:
      case 1: full.push_back(b.Op1(unary[rng() % 5], {pick(full)})); break;
      case 2: full.push_back(b.Op1(binary[rng() % 4], {pick(full), pick(full)})); break;
      case 3: full.push_back(b.Op1(binary[rng() % 4], {pick(full), pick(row)})); break;
      case 4:
        col.push_back(b.Op1("reduce_sum", {pick(full)}, {{"axes", std::vector<int64_t>{1}}, {"keepdims", int64_t{1}}}));
        if (!col.empty()) full.push_back(b.Op1("sub", {pick(full), pick(col)}));
        break;
      case 5: {
        Value w = b.Parameter("w" + std::to_string(i), Random({cols, cols}, rng));
        full.push_back(b.Op1("matmul", {pick(full), w}));
        break;
      }
      case 6: {
        Value t = b.Op1("transpose", {pick(full)}, {{"perm", std::vector<int64_t>{1, 0}}});
        full.push_back(b.Op1("transpose", {b.Op1("relu", {t})}, {{"perm", std::vector<int64_t>{1, 0}}}));
        break;
      }
    }
  }
  b.Output("y", full.back());
  if (full.size() > 3) b.Output("z", full[full.size() / 2]);
  return g;
}

Graph Mlp(std::mt19937_64& rng, int64_t in, int64_t hidden, int64_t out, int layers) {
  Graph g("mlp");
  GraphBuilder b(g);
  Value h = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), in});
  Value y = b.Placeholder("y", DType::kI64, {Dim::Symbol("N")});
  int64_t width = in;
  for (int l = 0; l < layers; ++l) {
    int64_t next = l + 1 == layers ? out : hidden;
    std::string p = "fc" + std::to_string(l);
    h = b.Op1("linear", {h, b.Parameter(p + "/w", Random({next, width}, rng)),
                         b.Parameter(p + "/b", Random({next}, rng))});
    if (l + 1 < layers) h = b.Op1("relu", {h});
    width = next;
  }
  b.Output("loss", b.Op1("cross_entropy", {h, y}));
  return g;
}

Graph Cnn(std::mt19937_64& rng) {
  Graph g("cnn");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{2, 3, 8, 8});
  Value y = b.Placeholder("y", DType::kI64, Shape{2});
  Value h = b.Op1("conv2d", {x, b.Parameter("c1/w", Random({4, 3, 3, 3}, rng)), b.Parameter("c1/b", Random({4}, rng))},
                  {{"padding", std::vector<int64_t>{1, 1}}});
  h = b.Op1("relu", {h});
  h = b.Op1("conv2d", {h, b.Parameter("c2/w", Random({6, 4, 3, 3}, rng)), b.Parameter("c2/b", Random({6}, rng))},
            {{"stride", std::vector<int64_t>{2, 2}}});
  h = b.Op1("relu", {h});
  h = b.Op1("flatten", {h}, {{"start_dim", int64_t{1}}});
  h = b.Op1("linear", {h, b.Parameter("fc/w", Random({5, 6 * 3 * 3}, rng)), b.Parameter("fc/b", Random({5}, rng))});
  b.Output("loss", b.Op1("cross_entropy", {h, y}));
  return g;
}

Tensor Labels(int64_t n, int64_t classes, std::mt19937_64& rng) {
  Tensor t = Tensor::Empty(DType::kI64, {n});
  for (int64_t i = 0; i < n; ++i) t.data<int64_t>()[i] = static_cast<int64_t>(rng() % static_cast<uint64_t>(classes));
  return t;
}

Graph TrainingStep(Graph model) {
  TrainingConfig config;
  config.optimizer = OptimizerSpec::Adam();
  return BuildTrainingGraph(std::move(model), config).graph;
}

TEST(Planner, RandomGraphsFitTheLiveBoundAndMatchTheNaiveExecutorBitwise) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed * 977);
    int64_t rows = 1 + static_cast<int64_t>(rng() % 9), cols = 1 + static_cast<int64_t>(rng() % 40);
    Graph g = RandomGraph(seed, rows, cols, 4 + static_cast<int>(rng() % 30));
    CheckGraph(g, {Random({rows, cols}, rng)}, "random graph " + std::to_string(seed),
               SchedulerMode::kSequential, 1, seed % 4 == 0 ? "ref" : "");
  }
}

TEST(Planner, RandomGraphsOnTheTaskGraphSchedulerMatchBitwise) {
  for (uint64_t seed = 100; seed < 115; ++seed) {
    std::mt19937_64 rng(seed);
    Graph g = RandomGraph(seed, 5, 33, 20);
    CheckGraph(g, {Random({5, 33}, rng)}, "parallel random graph " + std::to_string(seed),
               SchedulerMode::kParallel, 2, "", 3);
  }
}

TEST(Planner, MlpInferenceAndTrainingStep) {
  std::mt19937_64 rng(3);
  Graph mlp = Mlp(rng, 20, 32, 7, 3);
  std::vector<Tensor> in{Random({16, 20}, rng), Labels(16, 7, rng)};
  CheckGraph(mlp, in, "mlp");
  CheckGraph(mlp, in, "mlp, task graph", SchedulerMode::kParallel, 2);
  Graph step = TrainingStep(mlp);
  Session probe(step);
  NamedTensors named{{"x", in[0]}, {"y", in[1]}, {"lr", Tensor::Scalar<float>(0.01f)}};
  CheckGraph(step, probe.Ordered(named), "mlp training step", SchedulerMode::kSequential, 1, "", 3);
  CheckGraph(step, probe.Ordered(named), "mlp training step, task graph", SchedulerMode::kParallel, 2, "", 3);
}

TEST(Planner, CnnInferenceAndTrainingStep) {
  std::mt19937_64 rng(4);
  Graph cnn = Cnn(rng);
  std::vector<Tensor> in{Random({2, 3, 8, 8}, rng), Labels(2, 5, rng)};
  CheckGraph(cnn, in, "cnn");
  Graph step = TrainingStep(cnn);
  Session probe(step);
  NamedTensors named{{"x", in[0]}, {"y", in[1]}, {"lr", Tensor::Scalar<float>(0.01f)}};
  CheckGraph(step, probe.Ordered(named), "cnn training step", SchedulerMode::kSequential, 1, "", 2);
  CheckGraph(step, probe.Ordered(named), "cnn training step, task graph", SchedulerMode::kParallel, 2, "", 2);
}

TEST(Planner, ElementwiseChainRunsInPlaceInOneBuffer) {
  // x -> relu -> neg -> tanh -> abs -> y: every intermediate can take over its input's buffer.
  Graph g("chain");
  GraphBuilder b(g);
  Value v = b.Placeholder("x", DType::kF32, Shape{4, 100});
  for (const char* op : {"relu", "neg", "tanh", "abs", "sigmoid"}) v = b.Op1(op, {v});
  b.Output("y", v);
  SessionOptions unfused;  // without `fuse`, which would make the chain one node
  unfused.pipeline = {"shape_infer", "dce"};
  Session session(g, unfused);
  std::shared_ptr<const Plan> plan = session.PlanForShapes({{4, 100}});
  EXPECT_EQ(plan->arena_bytes(), Align64(4 * 100 * sizeof(float))) << plan->memory().Summary();
  EXPECT_EQ(plan->memory().inplace_reuses, 3) << "neg, tanh and abs write into their input; relu's input is the caller's, sigmoid's output is returned";
}

TEST(Planner, ReshapeTakesOverTheBufferOfAnInputThatDiesThere) {
  // x -> relu -> reshape -> relu -> y: the reshape's output is its input's buffer (no copy).
  Graph g("view");
  GraphBuilder b(g);
  Value h = b.Op1("relu", {b.Placeholder("x", DType::kF32, Shape{4, 6})});
  h = b.Op1("reshape", {h}, {{"shape", Shape{3, 8}}});
  b.Output("y", b.Op1("neg", {h}));
  SessionOptions unfused;
  unfused.pipeline = {"shape_infer", "dce"};
  Session session(g, unfused);
  std::shared_ptr<const Plan> plan = session.PlanForShapes({{4, 6}});
  EXPECT_EQ(plan->memory().inplace_reuses, 1) << plan->memory().Summary();
  EXPECT_EQ(plan->arena_bytes(), Align64(24 * sizeof(float)));
  std::vector<float> xs(24);
  for (int i = 0; i < 24; ++i) xs[static_cast<size_t>(i)] = static_cast<float>(i % 5) - 2.0f;
  const std::vector<Tensor> inputs = {Tensor::FromVector<float>({4, 6}, xs)};
  const Tensor y = session.Run(inputs)[0];
  ASSERT_EQ(y.dims(), (Dims{3, 8}));
  for (int i = 0; i < 24; ++i) {
    EXPECT_EQ(y.data<float>()[i], -std::max(0.0f, xs[static_cast<size_t>(i)])) << i;
  }
}

TEST(Planner, ReshapeOfAValueReadLaterCopies) {
  // h = relu(x) is read again by the matmul after the reshape: the reshape must copy.
  Graph g("view_live");
  GraphBuilder b(g);
  Value h = b.Op1("relu", {b.Placeholder("x", DType::kF32, Shape{4, 6})});
  Value r = b.Op1("reshape", {h}, {{"shape", Shape{6, 4}}});
  b.Output("y", b.Op1("matmul", {r, h}));
  SessionOptions unfused;
  unfused.pipeline = {"shape_infer", "dce"};
  Session session(g, unfused);
  std::shared_ptr<const Plan> plan = session.PlanForShapes({{4, 6}});
  EXPECT_EQ(plan->memory().inplace_reuses, 0) << plan->memory().Summary();
  std::vector<float> xs(24);
  for (int i = 0; i < 24; ++i) xs[static_cast<size_t>(i)] = static_cast<float>(i % 7) - 3.0f;
  const std::vector<Tensor> inputs = {Tensor::FromVector<float>({4, 6}, xs)};
  const Tensor y = session.Run(inputs)[0];
  ASSERT_EQ(y.dims(), (Dims{6, 6}));
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 6; ++j) {
      double want = 0;  // r[i][k] = relu(x) flat [i * 4 + k]; h[k][j] = relu(x) flat [k * 6 + j]
      for (int k = 0; k < 4; ++k) {
        want += std::max(0.0f, xs[static_cast<size_t>(i * 4 + k)]) *
                std::max(0.0f, xs[static_cast<size_t>(k * 6 + j)]);
      }
      EXPECT_NEAR(y.data<float>()[i * 6 + j], want, 1e-4) << i << "," << j;
    }
  }
}

TEST(Planner, MatmulNeverWritesIntoItsInput) {
  Graph g("mm");
  GraphBuilder b(g);
  std::mt19937_64 rng(5);
  Value x = b.Placeholder("x", DType::kF32, Shape{8, 8});
  Value h = b.Op1("relu", {x});
  h = b.Op1("matmul", {h, b.Parameter("w", Random({8, 8}, rng))});
  b.Output("y", b.Op1("relu", {h}));
  SessionOptions unfused;  // without `fuse`, which would absorb the relu into matmul's epilogue
  unfused.pipeline = {"shape_infer", "dce"};
  Session session(g, unfused);
  std::shared_ptr<const Plan> plan = session.PlanForShapes({{8, 8}});
  EXPECT_EQ(plan->memory().inplace_reuses, 0);
  EXPECT_EQ(plan->arena_bytes(), 2 * Align64(8 * 8 * sizeof(float)));
}

TEST(Planner, ReturnedOutputsAreNotOverwrittenByTheNextRun) {
  std::mt19937_64 rng(6);
  Graph g = RandomGraph(7, 4, 16, 12);
  Session session(g);
  Tensor a = Random({4, 16}, rng), c = Random({4, 16}, rng);
  std::vector<Tensor> first = session.Run({a});
  std::vector<Tensor> kept;
  for (const Tensor& t : first) kept.push_back(t.Clone());
  session.Run({c});
  for (size_t k = 0; k < first.size(); ++k) EXPECT_TRUE(BitwiseEqual(first[k], kept[k])) << "output " << k;
}

TEST(Planner, DroppedOutputsAreReusedAndHeldOnesAreNot) {
  std::mt19937_64 rng(7);
  Graph g = RandomGraph(11, 4, 16, 12);
  Session session(g);
  Tensor a = Random({4, 16}, rng), c = Random({4, 16}, rng);
  std::vector<Tensor> expected_c = session.Run({c});
  for (Tensor& t : expected_c) t = t.Clone();
  // Held: the next run writes elsewhere and the held values stay.
  std::vector<Tensor> held = session.Run({a});
  std::vector<Tensor> kept;
  for (const Tensor& t : held) kept.push_back(t.Clone());
  std::vector<Tensor> next = session.Run({c});
  for (size_t k = 0; k < held.size(); ++k) {
    EXPECT_NE(held[k].raw_data(), next[k].raw_data()) << "output " << k;
    EXPECT_TRUE(BitwiseEqual(held[k], kept[k])) << "output " << k;
    EXPECT_TRUE(BitwiseEqual(next[k], expected_c[k])) << "output " << k;
  }
  // Dropped: the next run writes into the same memory, with the right values.
  std::vector<const void*> where;
  for (const Tensor& t : next) where.push_back(t.raw_data());
  next.clear();
  std::vector<Tensor> again = session.Run({c});
  for (size_t k = 0; k < again.size(); ++k) {
    EXPECT_EQ(again[k].raw_data(), where[k]) << "output " << k;
    EXPECT_TRUE(BitwiseEqual(again[k], expected_c[k])) << "output " << k;
  }
}

TEST(Planner, ArenaSizeIsKnownBeforeTheFirstRun) {
  std::mt19937_64 rng(8);
  Session session(Mlp(rng, 10, 64, 3, 4));
  std::shared_ptr<const Plan> small = session.PlanForShapes({{4, 10}, {4}});
  std::shared_ptr<const Plan> big = session.PlanForShapes({{64, 10}, {64}});
  EXPECT_GT(small->arena_bytes(), 0u);
  EXPECT_GT(big->arena_bytes(), 8 * small->arena_bytes());
  EXPECT_EQ(session.num_compiles(), 2);
}

TEST(Planner, PlanMemoryDirectly) {
  // Three steps: a = f(x); b = g(a); c = h(a, b). a lives to step 2, so b cannot take it.
  PlannerInput in;
  in.slot_bytes = {400, 400, 400, 400};
  in.slot_key = {0, 0, 0, 0};
  in.is_source = {1, 0, 0, 0};
  in.is_output = {0, 0, 0, 1};
  in.steps = {{{0}, {1}, {}, true}, {{1}, {2}, {}, true}, {{1, 2}, {3}, {}, true}};
  MemoryPlan m = PlanMemory(in);
  EXPECT_EQ(m.kind[0], SlotKind::kExternal);
  EXPECT_EQ(m.kind[3], SlotKind::kOutput);
  EXPECT_EQ(m.reuses[2], -1);
  EXPECT_NE(m.offset[1], m.offset[2]);
  EXPECT_EQ(m.arena_bytes, 2 * Align64(400));
  EXPECT_EQ(m.live_peak_bytes, 2 * Align64(400));
}

}  // namespace
}  // namespace bronze
