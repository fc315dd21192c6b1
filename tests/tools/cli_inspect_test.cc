// `bronze` command line, end to end: --version/--help and usage errors, `info` (figures checked
// against the graph and an in-process plan), `validate` (ok, and each class of bad file with its
// exit code and error code), `dot`.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <regex>

#include "tools/cli_models.h"
#include "tools/cli_test_util.h"

namespace bronze::testing {
namespace {

TEST(CliUsage, VersionAndHelp) {
  auto dir = FreshDir();
  CliResult v = RunCli(dir, {"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_TRUE(Contains(v.out, std::string("bronze ") + kVersion)) << v.out;
  CliResult h = RunCli(dir, {"--help"});
  EXPECT_EQ(h.exit_code, 0);
  for (const char* command : {"info", "validate", "run", "bench", "dot", "opt"}) {
    EXPECT_TRUE(Contains(h.out, command)) << command << " missing from --help: " << h.out;
    CliResult sub = RunCli(dir, {command, "--help"});
    EXPECT_EQ(sub.exit_code, 0) << command;
    EXPECT_TRUE(Contains(sub.out, "FILE")) << command << ": " << sub.out;
  }
}

TEST(CliUsage, BadCommandLinesExitWithOne) {
  auto dir = FreshDir();
  const std::string model = WriteModel(dir, "mlp.txt", CliMlp());
  const std::vector<std::vector<std::string>> bad = {
      {},                                             // no command
      {"frobnicate", model},                          // unknown command
      {"info"},                                       // missing FILE
      {"info", model, "--no-such-option"},            // unknown option
      {"run", model, "--input", "x=x.npy"},           // no --output-dir
      {"run", model, "--input", "x", "-O", "out"},    // NAME=PATH without '='
      {"bench", model, "--batch", "0"},               // batch must be positive
      {"bench", model, "--iters", "many"},            // not a number
      {"bench", model, "--dim", "T=-3"},              // negative dim
      {"run", model, "-O", "o", "--threads", "-1"},  // negative threads
  };
  for (const auto& args : bad) {
    CliResult r = RunCli(dir, args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 1) << joined << "\nstdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_FALSE(r.err.empty()) << joined;
  }
}

TEST(CliInfo, ReportsInputsOutputsOpsParametersAndPlannedMemory) {
  auto dir = FreshDir();
  Graph g = CliMlp();
  const std::string model = WriteModel(dir, "mlp.txt", g);
  // What the report must say, worked out from the graph.
  std::map<std::string, int> histogram;
  int64_t elements = 0;
  size_t bytes = 0;
  for (NodeId id : g.node_ids()) {
    const Node& n = g.node(id);
    ++histogram[n.op_name()];
    if (n.op_name() == "parameter") {
      elements += n.data.numel();
      bytes += n.data.nbytes();
    }
  }
  CliResult r = RunCli(dir, {"info", model});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "x: f32[N, 3]")) << r.out;
  EXPECT_TRUE(Contains(r.out, "hidden: f32[N, 4]")) << r.out;
  EXPECT_TRUE(Contains(r.out, "total: f32[N]")) << r.out;
  for (const auto& [op, count] : histogram) {
    EXPECT_TRUE(Contains(r.out, "  " + op + ": " + std::to_string(count) + "\n")) << op << r.out;
  }
  EXPECT_TRUE(Contains(r.out, std::to_string(g.num_nodes()) + " nodes")) << r.out;
  EXPECT_TRUE(Contains(r.out, "parameters:  2 tensors, " + std::to_string(elements) + " elements"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "weight bytes: " + std::to_string(bytes) + " bytes")) << r.out;
  EXPECT_TRUE(Contains(r.out, "metadata: (none)")) << r.out;
  // The planned memory is the plan's for batch 1 (and for --batch 5 when asked).
  for (int64_t batch : {1, 5}) {
    Session session(CliMlp(), {.threads = 1});
    auto plan = session.PlanFor({Tensor::Zeros(DType::kF32, {batch, 3})});
    CliResult rb = RunCli(dir, {"info", model, "--batch", std::to_string(batch)});
    ASSERT_EQ(rb.exit_code, 0) << rb.err;
    EXPECT_TRUE(Contains(rb.out, "planned arena: " + std::to_string(plan->arena_bytes()) +
                                     " bytes"))
        << "batch " << batch << ": " << rb.out;
    EXPECT_TRUE(Contains(rb.out, "(N=" + std::to_string(batch) + ")")) << rb.out;
  }
}

TEST(CliInfo, NonBatchSymbolsNeedDim) {
  auto dir = FreshDir();
  const std::string model = WriteModel(dir, "seq.txt", CliAddSeq());
  CliResult r = RunCli(dir, {"info", model});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // the rest of the report stands
  EXPECT_TRUE(Contains(r.out, "planned arena: unavailable")) << r.out;
  EXPECT_TRUE(Contains(r.out, "--dim T=VALUE")) << r.out;
  CliResult with = RunCli(dir, {"info", model, "--batch", "2", "--dim", "T=7"});
  ASSERT_EQ(with.exit_code, 0) << with.err;
  // Only the output is a step result: 2 x 7 floats.
  Session session(CliAddSeq(), {.threads = 1});
  auto plan =
      session.PlanFor({Tensor::Zeros(DType::kF32, {2, 7}), Tensor::Zeros(DType::kF32, {2, 7})});
  EXPECT_TRUE(Contains(with.out, "planned arena: " + std::to_string(plan->arena_bytes()) + " bytes"))
      << with.out;
  EXPECT_TRUE(Contains(with.out, "N=2, T=7")) << with.out;
  CliResult typo = RunCli(dir, {"info", model, "--dim", "Q=7"});
  EXPECT_EQ(typo.exit_code, 4) << typo.out << typo.err;
  EXPECT_TRUE(Contains(typo.err, "no input has a dim named Q")) << typo.err;
}

TEST(CliValidate, AcceptsAValidModel) {
  auto dir = FreshDir();
  CliResult r = RunCli(dir, {"validate", WriteModel(dir, "mlp.txt", CliMlp())});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  // The example model shipped with the tests, too.
  CliResult shipped =
      RunCli(dir, {"validate", std::string(BRONZE_SOURCE_DIR) + "/tests/tools/data/mlp.txt"});
  EXPECT_EQ(shipped.exit_code, 0) << shipped.err;
}

struct BadFile {
  const char* what;
  std::string text;
  int exit_code;
  std::vector<std::string> err_parts;
};

TEST(CliValidate, RejectsBadFilesWithTheirCodes) {
  auto dir = FreshDir();
  const std::string good = PrintGraph(CliMlp());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? s : s.replace(at, from.size(), to);
  };
  const std::vector<BadFile> cases = {
      {"not a model", "hello world\n", 2, {"parse error (code 7)", "bad_0.txt", "text IR"}},
      {"empty file", "", 2, {"parse error (code 7)"}},
      {"truncated", good.substr(0, good.size() / 2), 2, {"parse error (code 7)"}},
      {"unknown op", replace("relu(", "frobnicate("), 2, {"frobnicate"}},
      {"wrong annotated shape", replace("f32[N, 4]", "f32[N, 5]"), 2, {"(code 3)", "N, 5"}},
      {"wrong annotated dtype", replace(": f32[N, 4]", ": f64[N, 4]"), 2, {"f64"}},
      {"too much data", replace("data [0.1", "data [0.1, 0.1"), 2, {"more data values", "line"}},
      {"dangling value", replace("relu(%", "relu(%nowhere, %"), 2, {"nowhere"}},
      // The .bronze identifier: the file goes to Model::Load, whose errors exit with 2 too.
      {".bronze identifier, garbage body", std::string("\x10\0\0\0BRNZ", 8) + "garbage", 2, {}},
  };
  int i = 0;
  for (const BadFile& c : cases) {
    const std::string path = (dir / ("bad_" + std::to_string(i++) + ".txt")).string();
    WriteText(path, c.text);
    CliResult r = RunCli(dir, {"validate", path});
    EXPECT_EQ(r.exit_code, c.exit_code) << c.what << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << c.what << ": " << r.out;
    EXPECT_TRUE(Contains(r.err, "bronze validate: error: ")) << c.what << ": " << r.err;
    for (const std::string& part : c.err_parts) {
      EXPECT_TRUE(Contains(r.err, part)) << c.what << ": no \"" << part << "\" in " << r.err;
    }
  }
}

TEST(CliValidate, EveryTruncationIsRejectedCleanly) {
  auto dir = FreshDir();
  const std::string good = PrintGraph(CliMlp());
  const size_t end = good.rfind('}');  // any prefix without the closing brace is invalid
  const std::string path = (dir / "cut.txt").string();
  for (size_t len = 0; len < end; len += 1 + end / 40) {
    WriteText(path, good.substr(0, len));
    CliResult r = RunCli(dir, {"validate", path});
    EXPECT_EQ(r.exit_code, 2) << "cut at " << len << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, "(code ")) << "cut at " << len << ": " << r.err;
  }
}

TEST(CliValidate, MissingOrUnreadableFilesAreIoErrors) {
  auto dir = FreshDir();
  for (const std::string& path : {(dir / "missing.bronze").string(), dir.string()}) {
    for (const char* command : {"validate", "info", "dot", "opt"}) {
      CliResult r = RunCli(dir, {command, path});
      EXPECT_EQ(r.exit_code, 3) << command << " " << path << ": " << r.err;
      EXPECT_TRUE(Contains(r.err, "io error (code 10)")) << r.err;
      EXPECT_TRUE(Contains(r.err, path)) << r.err;
    }
  }
}

TEST(CliDot, PrintsGraphviz) {
  auto dir = FreshDir();
  Graph g = CliMlp();
  CliResult r = RunCli(dir, {"dot", WriteModel(dir, "mlp.txt", g)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ToDot(g));
  EXPECT_EQ(r.out.rfind("digraph", 0), 0u) << r.out;
}

}  // namespace
}  // namespace bronze::testing
