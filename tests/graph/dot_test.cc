// Graphviz DOT export: one box per node, edges labeled with the type flowing along them, graph
// outputs as separate ellipses, escaping of quotes in names; and, when the `dot` program is
// installed, that Graphviz itself accepts the output.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "test_util.h"

namespace bronze {
namespace {

// x: f32[N, 3] -> matmul(x, w: f32[3, 2]) -> relu -> output "out"; plus an odd node name.
Graph SampleGraph() {
  Graph g("mlp \"v1\"");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 3});
  Value w = b.Parameter("w", Tensor::Zeros(DType::kF32, {3, 2}));
  Value y = b.Op1("matmul", {x, w}, {}, "mm");
  Value r = b.Op1("relu", {y}, {}, "say \"hi\"\\now");
  b.Output("out", r);
  b.Output("the \"y\"", y);
  return g;
}

size_t CountMatches(const std::string& text, const std::regex& re) {
  return static_cast<size_t>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

bool HasLine(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(Dot, IsADigraphNamedAfterTheGraph) {
  std::string dot = ToDot(SampleGraph());
  EXPECT_EQ(dot.rfind("digraph \"mlp \\\"v1\\\"\" {\n", 0), 0u) << dot;
  EXPECT_EQ(dot.substr(dot.size() - 2), "}\n");
}

TEST(Dot, HasOneNodeLinePerNode) {
  Graph g = SampleGraph();
  std::string dot = ToDot(g);
  EXPECT_EQ(CountMatches(dot, std::regex("\n  n[0-9]+ \\[label=")), g.num_nodes()) << dot;
  EXPECT_TRUE(HasLine(dot, "  n0 [label=\"x\\nplaceholder\\nf32[N, 3]\", fillcolor=lightblue];")) << dot;
  EXPECT_TRUE(HasLine(dot, "  n1 [label=\"w\\nparameter\\nf32[3, 2]\", fillcolor=khaki];")) << dot;
  EXPECT_TRUE(HasLine(dot, "  n2 [label=\"mm\\nmatmul\\nf32[N, 2]\"];")) << dot;
}

TEST(Dot, ConstantsGetTheirOwnFill) {
  Graph g;
  GraphBuilder b(g);
  b.Constant(Tensor::Scalar(1.0f), "k");
  EXPECT_TRUE(HasLine(ToDot(g), "  n0 [label=\"k\\nconstant\\nf32[]\", fillcolor=lightgrey];"));
}

TEST(Dot, EdgesAreLabeledWithTheirType) {
  std::string dot = ToDot(SampleGraph());
  EXPECT_TRUE(HasLine(dot, "  n0 -> n2 [label=\"f32[N, 3]\"];")) << dot;
  EXPECT_TRUE(HasLine(dot, "  n1 -> n2 [label=\"f32[3, 2]\"];")) << dot;
  EXPECT_TRUE(HasLine(dot, "  n2 -> n3 [label=\"f32[N, 2]\"];")) << dot;
  EXPECT_EQ(CountMatches(dot, std::regex("n[0-9]+ -> n[0-9]+ ")), 3u) << dot;
}

TEST(Dot, OutputsAreEllipsesFedByTheirNodes) {
  std::string dot = ToDot(SampleGraph());
  EXPECT_TRUE(HasLine(dot, "  out0 [label=\"out\", shape=ellipse, fillcolor=palegreen];")) << dot;
  EXPECT_TRUE(HasLine(dot, "  n3 -> out0;")) << dot;
  EXPECT_TRUE(HasLine(dot, "  out1 [label=\"the \\\"y\\\"\", shape=ellipse, fillcolor=palegreen];")) << dot;
  EXPECT_TRUE(HasLine(dot, "  n2 -> out1;")) << dot;
}

TEST(Dot, EscapesQuotesAndBackslashesInNames) {
  std::string dot = ToDot(SampleGraph());
  EXPECT_TRUE(HasLine(dot, "  n3 [label=\"say \\\"hi\\\"\\\\now\\nrelu\\nf32[N, 2]\"];")) << dot;
  // No line has an unescaped quote inside a label: every quote is paired or escaped.
  std::istringstream in(dot);
  for (std::string l; std::getline(in, l);) {
    size_t quotes = 0;
    for (size_t k = 0; k < l.size(); ++k) {
      if (l[k] == '\\') { ++k; continue; }
      if (l[k] == '"') ++quotes;
    }
    EXPECT_EQ(quotes % 2, 0u) << l;
  }
}

TEST(Dot, NodesAppearInTopologicalOrder) {
  Graph g;
  const OpSchema* relu = &OpRegistry::Global().Get("relu");
  TensorType t{DType::kF32, Shape{2}};
  NodeId a = g.AddNode(relu, {}, {}, {t}, "a");  // rewired below to read b
  NodeId b = g.AddNode(&OpRegistry::Global().Get("placeholder"), {},
                       {{"dtype", DType::kF32}, {"shape", Shape{2}}}, {t}, "b");
  g.node(a).inputs = {{b, 0}};
  std::string dot = ToDot(g);
  EXPECT_LT(dot.find("  n1 [label"), dot.find("  n0 [label")) << dot;
  EXPECT_TRUE(HasLine(dot, "  n1 -> n0 [label=\"f32[2]\"];")) << dot;
}

std::filesystem::path TempDir() {
  const char* env = std::getenv("BRONZE_TEST_TMPDIR");
  std::filesystem::path dir = env && *env ? env : ::testing::TempDir();
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(Dot, GraphvizAcceptsTheOutput) {
  if (std::system("command -v dot >/dev/null 2>&1") != 0) GTEST_SKIP() << "graphviz `dot` is not installed";
  std::filesystem::path dir = TempDir();
  std::string stem = "dot_test_" + std::to_string(::getpid());
  std::filesystem::path in = dir / (stem + ".dot"), out = dir / (stem + ".svg");
  {
    std::ofstream f(in);
    f << ToDot(SampleGraph());
  }
  std::string cmd = "dot -Tsvg '" + in.string() + "' -o '" + out.string() + "' 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string diagnostics;
  char buf[256];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) diagnostics.append(buf, n);
  int status = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << diagnostics;
  EXPECT_EQ(WEXITSTATUS(status), 0) << diagnostics;
  EXPECT_EQ(diagnostics, "") << "dot warned";
  std::ifstream svg(out);
  std::string content((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  EXPECT_NE(content.find("<svg"), std::string::npos);
  EXPECT_NE(content.find("matmul"), std::string::npos);
  std::filesystem::remove(in);
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace bronze
