// The Graph container, edited by hand through AddNode and node(): naming (duplicates, UniqueName),
// deterministic topological order and cycle reporting, erasing, rewiring (ReplaceAllUses, Uses),
// Compact's renumbering, deep copies, outputs and the placeholder / parameter lists.
#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.h"

namespace bronze {
namespace {

using bronze::testing::ExpectError;

const OpSchema* Op(std::string_view name) { return &OpRegistry::Global().Get(name); }

const TensorType kF32x3{DType::kF32, Shape{3}};

// Raw node creation: no validation, so tests can build any structure (including cycles).
NodeId Source(Graph& g, const std::string& name, std::string_view op = "placeholder") {
  return g.AddNode(Op(op), {}, {{"dtype", DType::kF32}, {"shape", Shape{3}}}, {kF32x3}, name);
}
NodeId Unary(Graph& g, const std::string& name, NodeId in) {
  return g.AddNode(Op("relu"), {{in, 0}}, {}, {kF32x3}, name);
}
NodeId Binary(Graph& g, const std::string& name, NodeId a, NodeId b) {
  return g.AddNode(Op("add"), {{a, 0}, {b, 0}}, {}, {kF32x3}, name);
}

// Every edge goes from an earlier to a later position of `order`, and it holds each live node once.
void ExpectTopological(const Graph& g, const std::vector<NodeId>& order) {
  ASSERT_EQ(order.size(), g.num_nodes());
  std::vector<int> pos(g.id_bound(), -1);
  for (size_t k = 0; k < order.size(); ++k) {
    ASSERT_TRUE(g.alive(order[k]));
    ASSERT_EQ(pos[static_cast<size_t>(order[k])], -1) << "node listed twice";
    pos[static_cast<size_t>(order[k])] = static_cast<int>(k);
  }
  for (NodeId id : order) {
    for (const Value& in : g.node(id).inputs) {
      EXPECT_LT(pos[static_cast<size_t>(in.node)], pos[static_cast<size_t>(id)])
          << g.node(in.node).name << " must come before " << g.node(id).name;
    }
  }
}

TEST(Graph, AddNodeAssignsIdsInCreationOrder) {
  Graph g("g");
  EXPECT_EQ(Source(g, "x"), 0);
  EXPECT_EQ(Unary(g, "r", 0), 1);
  EXPECT_EQ(g.num_nodes(), 2u);
  EXPECT_EQ(g.id_bound(), 2u);
  EXPECT_EQ(g.FindNode("r"), 1);
  EXPECT_EQ(g.FindNode("nope"), kNoNode);
  EXPECT_EQ(g.node(1).op_name(), "relu");
  EXPECT_EQ(g.node(1).Describe(), "node 'r' (relu)");
  EXPECT_EQ(g.name(), "g");
}

TEST(Graph, AddNodeWithDuplicateNameThrowsGraphError) {
  Graph g("net");
  Source(g, "x");
  ExpectError<GraphError>([&] { Source(g, "x"); }, {"node name 'x' is already used in graph 'net'"});
  EXPECT_EQ(g.num_nodes(), 1u);
}

TEST(Graph, AddNodeWithEmptyNameThrowsGraphError) {
  Graph g;
  ExpectError<GraphError>([&] { Source(g, ""); }, {"a node needs a name"});
}

TEST(Graph, NodeWithDeadOrOutOfRangeIdThrowsGraphError) {
  Graph g("g");
  Source(g, "x");
  ExpectError<GraphError>([&] { g.node(5); }, {"graph 'g' has no node with id 5"});
  ExpectError<GraphError>([&] { g.node(-1); }, {"has no node with id -1"});
  ExpectError<GraphError>([&] { g.type({0, 1}); }, {"node 'x' (placeholder) has no output 1 (it has 1)"});
  EXPECT_EQ(g.type({0, 0}), kF32x3);
}

TEST(Graph, UniqueNameAppendsTheFirstFreeSuffix) {
  Graph g;
  EXPECT_EQ(g.UniqueName("x"), "x");
  Source(g, "x");
  EXPECT_EQ(g.UniqueName("x"), "x_1");
  Source(g, "x_1");
  Source(g, "x_3");
  EXPECT_EQ(g.UniqueName("x"), "x_2");
  EXPECT_EQ(g.UniqueName(""), "node");
  Source(g, "node");
  EXPECT_EQ(g.UniqueName(""), "node_1");
}

TEST(Graph, TensorTypeToStringUsesListForm) {
  EXPECT_EQ((TensorType{DType::kF32, Shape{Dim::Symbol("N"), 3}}).ToString(), "f32[N, 3]");
  EXPECT_EQ((TensorType{DType::kBool, Shape{}}).ToString(), "bool[]");
}

TEST(Graph, TopologicalOrderFollowsIdsWhereEdgesAllow) {
  Graph g;
  NodeId x = Source(g, "x"), y = Source(g, "y");
  NodeId a = Binary(g, "a", x, y);
  EXPECT_EQ(g.TopologicalOrder(), (std::vector<NodeId>{x, y, a}));
}

TEST(Graph, TopologicalOrderRespectsEdgesAfterManualEdits) {
  Graph g;
  NodeId x = Source(g, "x");        // 0
  NodeId a = Unary(g, "a", x);      // 1, rewired below to read c
  NodeId b = Source(g, "b");        // 2
  NodeId c = Unary(g, "c", b);      // 3
  NodeId d = Binary(g, "d", a, x);  // 4
  g.node(a).inputs = {{c, 0}};
  std::vector<NodeId> order = g.TopologicalOrder();
  EXPECT_EQ(order, (std::vector<NodeId>{x, b, c, a, d}));
  ExpectTopological(g, order);
  EXPECT_EQ(g.TopologicalOrder(), order);  // deterministic
  Graph copy(g);
  EXPECT_EQ(copy.TopologicalOrder(), order);
}

TEST(Graph, CycleErrorNamesTheNodesOnTheCycle) {
  Graph g("loop");
  NodeId x = Source(g, "x");  // 0
  NodeId a = Unary(g, "a", x);  // 1, will read c
  NodeId b = Unary(g, "b", a);  // 2
  NodeId c = Unary(g, "c", b);  // 3
  g.node(a).inputs = {{c, 0}};
  ExpectError<GraphError>([&] { g.TopologicalOrder(); },
                          {"graph 'loop' has a cycle: 'a' -> 'b' -> 'c' -> 'a'"});
}

TEST(Graph, CycleErrorLeavesOutNodesThatOnlyReadTheCycle) {
  Graph g("loop");
  NodeId x = Source(g, "x");    // 0
  NodeId d = Unary(g, "d", x);  // 1, reads the cycle but is not on it
  NodeId a = Unary(g, "a", x);  // 2
  NodeId b = Unary(g, "b", a);  // 3
  NodeId c = Unary(g, "c", b);  // 4
  g.node(d).inputs = {{b, 0}};
  g.node(a).inputs = {{c, 0}};
  std::string msg = ExpectError<GraphError>([&] { g.TopologicalOrder(); },
                                            {"has a cycle: 'b' -> 'c' -> 'a' -> 'b'"});
  EXPECT_EQ(msg.find("'d'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("'x'"), std::string::npos) << msg;
}

TEST(Graph, SelfLoopIsACycle) {
  Graph g("s");
  NodeId a = Unary(g, "a", Source(g, "x"));
  g.node(a).inputs = {{a, 0}};
  ExpectError<GraphError>([&] { g.TopologicalOrder(); }, {"has a cycle: 'a' -> 'a'"});
}

TEST(Graph, TopologicalOrderRejectsInputsFromMissingNodes) {
  Graph g;
  NodeId a = Unary(g, "a", Source(g, "x"));
  g.node(a).inputs = {{7, 0}};
  ExpectError<GraphError>([&] { g.TopologicalOrder(); },
                          {"node 'a' (relu) reads from node id 7, which does not exist"});
}

TEST(Graph, EraseNodeLeavesAHoleAndFreesTheName) {
  Graph g;
  NodeId x = Source(g, "x"), y = Source(g, "y"), z = Source(g, "z");
  g.EraseNode(y);
  EXPECT_FALSE(g.alive(y));
  EXPECT_TRUE(g.alive(z));
  EXPECT_EQ(g.num_nodes(), 2u);
  EXPECT_EQ(g.id_bound(), 3u);
  EXPECT_EQ(g.node_ids(), (std::vector<NodeId>{x, z}));
  EXPECT_EQ(g.FindNode("y"), kNoNode);
  EXPECT_EQ(g.TopologicalOrder(), (std::vector<NodeId>{x, z}));
  ExpectError<GraphError>([&] { g.node(y); }, {"has no node with id 1"});
  ExpectError<GraphError>([&] { g.EraseNode(y); }, {"has no node with id 1"});
  EXPECT_EQ(Source(g, "y"), 3);  // the name is free again; ids are never reused
}

TEST(Graph, UsesListsEveryReaderAndSlot) {
  Graph g;
  NodeId x = Source(g, "x"), y = Source(g, "y");
  NodeId r = Unary(g, "r", x);
  NodeId s = Binary(g, "s", y, x);
  NodeId t = Binary(g, "t", x, x);
  auto uses = g.Uses();
  ASSERT_EQ(uses.size(), g.id_bound());
  using Use = std::pair<NodeId, int>;
  EXPECT_EQ(uses[static_cast<size_t>(x)], (std::vector<Use>{{r, 0}, {s, 1}, {t, 0}, {t, 1}}));
  EXPECT_EQ(uses[static_cast<size_t>(y)], (std::vector<Use>{{s, 0}}));
  EXPECT_TRUE(uses[static_cast<size_t>(t)].empty());
}

TEST(Graph, ReplaceAllUsesRewiresInputsAndGraphOutputs) {
  Graph g;
  NodeId x = Source(g, "x"), y = Source(g, "y");
  NodeId r = Unary(g, "r", x);
  NodeId s = Binary(g, "s", x, x);
  g.AddOutput("o1", {x, 0});
  g.AddOutput("o2", {r, 0});
  EXPECT_EQ(g.ReplaceAllUses({x, 0}, {y, 0}), 4);
  EXPECT_EQ(g.node(r).inputs, (std::vector<Value>{{y, 0}}));
  EXPECT_EQ(g.node(s).inputs, (std::vector<Value>{{y, 0}, {y, 0}}));
  EXPECT_EQ(g.outputs()[0], (GraphOutput{"o1", {y, 0}}));
  EXPECT_EQ(g.outputs()[1], (GraphOutput{"o2", {r, 0}}));
  EXPECT_TRUE(g.Uses()[static_cast<size_t>(x)].empty());
  EXPECT_EQ(g.ReplaceAllUses({x, 0}, {y, 0}), 0);
  EXPECT_EQ(g.ReplaceAllUses({y, 1}, {x, 0}), 0);  // another output index is another value
}

TEST(Graph, AddOutputValidatesNameAndValue) {
  Graph g;
  NodeId x = Source(g, "x");
  g.AddOutput("out", {x, 0});
  ExpectError<GraphError>([&] { g.AddOutput("out", {x, 0}); }, {"graph output name 'out' is already used"});
  ExpectError<GraphError>([&] { g.AddOutput("", {x, 0}); }, {"a graph output needs a name"});
  ExpectError<GraphError>([&] { g.AddOutput("o2", {9, 0}); }, {"has no node with id 9"});
  ExpectError<GraphError>([&] { g.AddOutput("o3", {x, 2}); }, {"has no output 2"});
  EXPECT_EQ(g.outputs().size(), 1u);
}

TEST(Graph, CompactRenumbersDenselyInTopologicalOrder) {
  Graph g("c");
  NodeId x = Source(g, "x");      // 0
  NodeId dead = Source(g, "dead");  // 1, erased
  NodeId a = Unary(g, "a", x);      // 2, rewired to read c
  NodeId b = Source(g, "b");        // 3
  NodeId c = Unary(g, "c", b);      // 4
  g.node(a).inputs = {{c, 0}};
  g.AddOutput("out_a", {a, 0});
  g.AddOutput("out_x", {x, 0});
  g.EraseNode(dead);

  std::vector<NodeId> remap = g.Compact();
  EXPECT_EQ(remap, (std::vector<NodeId>{0, kNoNode, 3, 1, 2}));
  EXPECT_EQ(g.id_bound(), 4u);
  EXPECT_EQ(g.num_nodes(), 4u);
  EXPECT_EQ(g.node_ids(), (std::vector<NodeId>{0, 1, 2, 3}));
  EXPECT_EQ(g.TopologicalOrder(), (std::vector<NodeId>{0, 1, 2, 3}));
  for (NodeId id : g.node_ids()) EXPECT_EQ(g.node(id).id, id);
  EXPECT_EQ(g.node(0).name, "x");
  EXPECT_EQ(g.node(1).name, "b");
  EXPECT_EQ(g.node(2).name, "c");
  EXPECT_EQ(g.node(3).name, "a");
  EXPECT_EQ(g.FindNode("a"), 3);
  EXPECT_EQ(g.FindNode("dead"), kNoNode);
  EXPECT_EQ(g.node(3).inputs, (std::vector<Value>{{2, 0}}));  // a still reads c
  EXPECT_EQ(g.node(2).inputs, (std::vector<Value>{{1, 0}}));  // c still reads b
  EXPECT_EQ(g.node(g.outputs()[0].value.node).name, "a");
  EXPECT_EQ(g.node(g.outputs()[1].value.node).name, "x");
}

TEST(Graph, CopyConstructorDeepCopiesNodes) {
  Graph g("orig");
  NodeId x = Source(g, "x");
  NodeId r = Unary(g, "r", x);
  g.AddOutput("o", {r, 0});
  Graph copy(g);
  copy.set_name("copy");
  copy.node(r).name = "renamed";
  copy.node(r).attrs["keepdims"] = 1;
  copy.node(r).inputs.clear();
  copy.node(x).outputs[0].dtype = DType::kF64;
  copy.EraseNode(x);
  Source(copy, "extra");
  copy.mutable_outputs().clear();

  EXPECT_EQ(g.name(), "orig");
  EXPECT_EQ(g.num_nodes(), 2u);
  EXPECT_TRUE(g.alive(x));
  EXPECT_EQ(g.node(r).name, "r");
  EXPECT_TRUE(g.node(r).attrs.empty());
  EXPECT_EQ(g.node(r).inputs, (std::vector<Value>{{x, 0}}));
  EXPECT_EQ(g.node(x).outputs[0].dtype, DType::kF32);
  EXPECT_EQ(g.FindNode("extra"), kNoNode);
  EXPECT_EQ(g.outputs().size(), 1u);
  EXPECT_EQ(copy.num_nodes(), 2u);
}

TEST(Graph, CopyAssignmentDeepCopiesToo) {
  Graph g("a");
  NodeId x = Source(g, "x");
  Graph other("b");
  Source(other, "y");
  other = g;
  EXPECT_EQ(other.name(), "a");
  EXPECT_EQ(other.FindNode("y"), kNoNode);
  EXPECT_EQ(other.FindNode("x"), x);
  other.node(x).location = "changed";
  EXPECT_EQ(g.node(x).location, "");
}

TEST(Graph, PlaceholdersAndParametersAreListedInIdOrder) {
  Graph g;
  NodeId p1 = Source(g, "p1", "parameter");
  NodeId x1 = Source(g, "x1");
  NodeId c = Source(g, "c", "constant");
  NodeId x2 = Source(g, "x2");
  NodeId p2 = Source(g, "p2", "parameter");
  Unary(g, "r", x1);
  EXPECT_EQ(g.Placeholders(), (std::vector<NodeId>{x1, x2}));
  EXPECT_EQ(g.Parameters(), (std::vector<NodeId>{p1, p2}));
  g.EraseNode(x1);
  EXPECT_EQ(g.Placeholders(), (std::vector<NodeId>{x2}));
  EXPECT_TRUE(g.alive(c));
}

}  // namespace
}  // namespace bronze
