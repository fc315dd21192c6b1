// The pass manager: pipeline parsing ("infer" expands, unknown passes are NotFound), option
// parsing, disabled passes, verify-each, numbered IR dumps that parse back, the print/time log,
// and errors that name the pass they came from.
#include "passes/pass_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "graph/text.h"

namespace bronze {
namespace {

using Names = std::vector<std::string>;
namespace fs = std::filesystem;

// A graph with a wrong annotation (%y) and a dead node (%dead).
constexpr const char* kGraph = R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (N, 3)} : f32[N, 3]
  %w = parameter() {dtype = f32, shape = (3, 2)} : f32[3, 2] data [1, 2, 3, 4, 5, 6]
  %y = matmul(%x, %w) : f32[N, 9]
  %dead = exp(%y) : f32[N, 2]
  return y = %y
}
)";

template <typename E, typename F>
void ExpectError(F&& f, const std::vector<std::string>& pieces) {
  try {
    f();
    FAIL() << "no error thrown";
  } catch (const E& e) {
    for (const std::string& p : pieces) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "missing '" << p << "' in: " << e.what();
    }
  }
}

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("bronze_pass_manager_test_" + std::to_string(rd()) + "_" + std::to_string(rd()));
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

Names ListDir(const fs::path& dir) {
  Names out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PassManager, ParsePipelineSplitsTrimsAndRoundTrips) {
  EXPECT_EQ(ParsePipeline("shape_infer,dce"), (Names{"shape_infer", "dce"}));
  EXPECT_EQ(ParsePipeline(" shape_infer , dce ,"), (Names{"shape_infer", "dce"}));
  EXPECT_EQ(ParsePipeline(""), Names{});
  EXPECT_EQ(PipelineToString({"shape_infer", "dce", "dce"}), "shape_infer,dce,dce");
  EXPECT_EQ(ParsePipeline(PipelineToString({"dce", "shape_infer"})), (Names{"dce", "shape_infer"}));
}

TEST(PassManager, InferAndTrainExpandToTheDefaultPipelines) {
  EXPECT_EQ(InferencePipeline(), (Names{"shape_infer", "simplify", "dce", "fuse"}));
  EXPECT_EQ(TrainingPipeline(), (Names{"shape_infer", "simplify", "dce", "fuse"}));
  EXPECT_EQ(ParsePipeline("infer"), InferencePipeline());
  EXPECT_EQ(ParsePipeline("train"), TrainingPipeline());
  EXPECT_EQ(ParsePipeline("dce,infer"), (Names{"dce", "shape_infer", "simplify", "dce", "fuse"}));
}

TEST(PassManager, UnknownPassIsNotFoundListingKnownPasses) {
  ExpectError<NotFoundError>([] { ParsePipeline("shape_infer,cse2"); },
                             {"unknown pass 'cse2'", "known passes: shape_infer, dce"});
  ExpectError<NotFoundError>([] { PassManager({"shape_infer", "fold"}); }, {"unknown pass 'fold'"});
  PipelineOptions o;
  o.disabled = {"nope"};
  ExpectError<NotFoundError>([&] { PassManager({"dce"}, o); }, {"unknown pass 'nope'"});
  EXPECT_EQ(PassRegistry::Global().Names(),
            (Names{"shape_infer", "dce", "autodiff", "fuse", "fold_constants", "cse", "algebraic",
                   "fold_conv_bn", "simplify"}));
  EXPECT_EQ(PassRegistry::Global().Find("cse2"), nullptr);
}

TEST(PassManager, OptionsParseEveryFlag) {
  PipelineOptions o =
      PipelineOptions::Parse("verify-each,time-passes,print-passes,disable=dce,dump-after=DIR:dce");
  EXPECT_TRUE(o.verify_each);
  EXPECT_TRUE(o.time_passes);
  EXPECT_TRUE(o.print_passes);
  EXPECT_EQ(o.disabled, Names{"dce"});
  EXPECT_EQ(o.dump_dir, "DIR");
  EXPECT_EQ(o.dump_after, Names{"dce"});

  PipelineOptions none = PipelineOptions::Parse("");
  EXPECT_FALSE(none.verify_each || none.time_passes || none.print_passes);
  EXPECT_TRUE(none.disabled.empty() && none.dump_dir.empty() && none.dump_after.empty());

  PipelineOptions two = PipelineOptions::Parse("disable=dce:shape_infer,dump-after=/tmp/d");
  EXPECT_EQ(two.disabled, (Names{"dce", "shape_infer"}));
  EXPECT_EQ(two.dump_dir, "/tmp/d");
  EXPECT_TRUE(two.dump_after.empty()) << "no pass list: dump after every pass";
}

TEST(PassManager, UnknownOrMalformedOptionIsInvalidArgument) {
  ExpectError<InvalidArgumentError>(
      [] { PipelineOptions::Parse("verify-each,frobnicate"); },
      {"unknown pass option 'frobnicate'", "verify-each", "dump-after"});
  ExpectError<InvalidArgumentError>([] { PipelineOptions::Parse("disable="); }, {"'disable='"});
  ExpectError<InvalidArgumentError>([] { PipelineOptions::Parse("dump-after"); }, {"'dump-after'"});
  ExpectError<NotFoundError>([] { PipelineOptions::Parse("disable=cse2"); }, {"unknown pass 'cse2'"});
  ExpectError<NotFoundError>([] { PipelineOptions::Parse("dump-after=/tmp/d:dcee"); },
                             {"unknown pass 'dcee'"});
  PipelineOptions o;
  o.dump_dir = "/tmp/d";
  o.dump_after = {"input", "shape_infr"};
  ExpectError<NotFoundError>([&] { PassManager({"dce"}, o); }, {"unknown pass 'shape_infr'"});
}

TEST(PassManager, RunsPassesInPipelineOrderAndReportsChanges) {
  Graph g = ParseGraph(kGraph);
  std::vector<PassRun> runs = PassManager({"dce", "shape_infer", "dce"}).Run(g);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].name, "dce");
  EXPECT_TRUE(runs[0].changed) << "%dead goes";
  EXPECT_EQ(runs[1].name, "shape_infer");
  EXPECT_TRUE(runs[1].changed) << "%y's annotation is fixed";
  EXPECT_FALSE(runs[2].changed);
  for (const PassRun& r : runs) {
    EXPECT_FALSE(r.skipped);
    EXPECT_GE(r.milliseconds, 0.0);
  }
  EXPECT_EQ(g.type({g.FindNode("y"), 0}).ToString(), "f32[N, 2]");
}

TEST(PassManager, DisabledPassesAreReportedSkippedAndNotRun) {
  Graph g = ParseGraph(kGraph);
  PipelineOptions o;
  o.disabled = {"dce"};
  std::vector<PassRun> runs = PassManager({"shape_infer", "dce"}, o).Run(g);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_FALSE(runs[0].skipped);
  EXPECT_TRUE(runs[0].changed);
  EXPECT_EQ(runs[1].name, "dce");
  EXPECT_TRUE(runs[1].skipped);
  EXPECT_FALSE(runs[1].changed);
  EXPECT_EQ(runs[1].milliseconds, 0.0);
  EXPECT_NE(g.FindNode("dead"), kNoNode) << "dce was disabled, so %dead must still be there";
}

TEST(PassManager, VerifyEachRejectsAWrongAnnotationBeforeTheFirstPass) {
  Graph g = ParseGraph(kGraph);
  PipelineOptions o;
  o.verify_each = true;
  ExpectError<ShapeError>([&] { PassManager(InferencePipeline(), o).Run(g); },
                          {"before the first pass", "node 'y' (matmul)", "f32[N, 9]", "f32[N, 2]"});
  // Without verify-each the same graph compiles: shape_infer repairs the annotation.
  Graph g2 = ParseGraph(kGraph);
  EXPECT_NO_THROW(PassManager(InferencePipeline()).Run(g2));
  // And a repaired graph passes verify-each before and after every pass.
  EXPECT_NO_THROW(PassManager(InferencePipeline(), o).Run(g2));
}

TEST(PassManager, PassErrorsNameThePass) {
  Graph g = ParseGraph(R"(graph "m" {
  %x = placeholder() {dtype = f32, shape = (2, 3)} : f32[2, 3]
  %y = reshape(%x) {shape = (4, -1)} : f32[4, 2] @"net.py:8"
  return y = %y
})");
  try {
    PassManager({"dce", "shape_infer"}).Run(g);
    FAIL() << "no error thrown";
  } catch (const ShapeError& e) {
    EXPECT_EQ(e.message().rfind("pass 'shape_infer': reshape node 'y' on (x: f32[2, 3]): cannot reshape (2, 3)", 0),
              0u)
        << e.what();
    EXPECT_EQ(e.location(), "net.py:8");
  }
}

TEST(PassManager, DumpAfterWritesNumberedFilesThatParseBack) {
  TempDir dir;
  Graph g = ParseGraph(kGraph);
  PipelineOptions o;
  o.dump_dir = (dir.path() / "nested").string();  // created on demand
  PassManager({"shape_infer", "dce"}, o).Run(g);
  const fs::path d = dir.path() / "nested";
  ASSERT_EQ(ListDir(d), (Names{"00-input.txt", "01-shape_infer.txt", "02-dce.txt"}));
  const std::string input = ReadFile(d / "00-input.txt");
  const std::string after_si = ReadFile(d / "01-shape_infer.txt");
  const std::string after_dce = ReadFile(d / "02-dce.txt");
  EXPECT_NE(input.find("%y = matmul(%x, %w) : f32[N, 9]"), std::string::npos) << input;
  EXPECT_NE(after_si.find("%y = matmul(%x, %w) : f32[N, 2]"), std::string::npos) << after_si;
  EXPECT_NE(after_si.find("%dead"), std::string::npos) << after_si;
  EXPECT_EQ(after_dce.find("%dead"), std::string::npos) << after_dce;
  EXPECT_NE(after_dce.find("data elided"), std::string::npos) << "dumps leave out weights";
  EXPECT_EQ(after_dce, PrintGraph(g, TextOptions{.elide_data = true}));
  for (const std::string& text : {input, after_si, after_dce}) {
    Graph parsed = ParseGraph(text);
    EXPECT_EQ(parsed.name(), "m");
    EXPECT_NE(parsed.FindNode("y"), kNoNode);
  }
  EXPECT_EQ(ParseGraph(after_dce).num_nodes(), 3u);
}

TEST(PassManager, DumpAfterSelectedPassesKeepsTheirPipelinePosition) {
  TempDir dir;
  Graph g = ParseGraph(kGraph);
  PassManager({"shape_infer", "dce"},
              PipelineOptions::Parse("dump-after=" + dir.path().string() + ":dce:input"))
      .Run(g);
  EXPECT_EQ(ListDir(dir.path()), (Names{"00-input.txt", "02-dce.txt"}));
}

TEST(PassManager, UnwritableDumpDirectoryIsAnIoError) {
  TempDir dir;
  fs::create_directories(dir.path());
  const fs::path file = dir.path() / "not_a_dir";
  std::ofstream(file) << "x";
  Graph g = ParseGraph(kGraph);
  PipelineOptions o;
  o.dump_dir = file.string();
  ExpectError<IoError>([&] { PassManager({"dce"}, o).Run(g); },
                       {"cannot create IR dump directory", file.string()});
}

TEST(PassManager, PrintAndTimePassesWriteToTheGivenLog) {
  Graph g = ParseGraph(kGraph);
  std::ostringstream log;
  PipelineOptions o = PipelineOptions::Parse("print-passes,time-passes,disable=dce");
  o.log = &log;
  PassManager({"shape_infer", "dce"}, o).Run(g);
  const std::string s = log.str();
  EXPECT_EQ(s.rfind("pipeline: shape_infer,dce\n", 0), 0u) << s;
  const size_t table = s.find("pass timings:\n");
  ASSERT_NE(table, std::string::npos) << s;
  const size_t si = s.find("shape_infer", table), dce = s.find("dce", table),
               total = s.find("total", table);
  ASSERT_NE(si, std::string::npos) << s;
  ASSERT_NE(dce, std::string::npos) << s;
  ASSERT_NE(total, std::string::npos) << s;
  EXPECT_LT(si, dce);
  EXPECT_LT(dce, total);
  EXPECT_LT(s.find("(changed)", si), dce) << "shape_infer's row says it changed the graph: " << s;
  EXPECT_NE(s.find("(disabled)", dce), std::string::npos) << s;
  EXPECT_NE(s.find(" ms", total), std::string::npos) << s;

  std::ostringstream quiet;
  PipelineOptions q;
  q.log = &quiet;
  Graph g2 = ParseGraph(kGraph);
  PassManager(InferencePipeline(), q).Run(g2);
  EXPECT_EQ(quiet.str(), "") << "nothing is logged unless asked for";
}

}  // namespace
}  // namespace bronze
