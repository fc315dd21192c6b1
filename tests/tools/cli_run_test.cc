// `bronze run` and `bronze bench` end to end: outputs equal in-process Session::Run bitwise at
// the same thread count and a naive sum for an exact graph; output names with '/' become
// subdirectories and unsafe names are refused; input errors name the placeholder and the
// expected and given shapes/dtypes with exit code 4; bench's JSON is complete and consistent;
// bench --profile lists the slowest steps (all of them in JSON).
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "tools/cli_models.h"
#include "tools/cli_test_util.h"

namespace bronze::testing {
namespace {

Tensor Input(int64_t n, int64_t m, float scale) {
  std::vector<float> v(static_cast<size_t>(n * m));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(static_cast<int>(i * 7 % 13) - 6) * scale;
  return Tensor::FromVector<float>({n, m}, v);
}

TEST(CliRun, OutputsEqualSessionRunBitwise) {
  auto dir = FreshDir();
  const std::string model = WriteModel(dir, "mlp.txt", CliMlp());
  const Tensor x = Input(5, 3, 0.37f);
  WriteNpy((dir / "x.npy").string(), x);
  for (int threads : {1, 2}) {
    Session session(CliMlp(), {.threads = threads});
    NamedTensors want = session.Run({{"x", x}});
    const auto out = dir / ("out" + std::to_string(threads));
    CliResult r = RunCli(dir, {"run", model, "--input", "x=" + (dir / "x.npy").string(),
                               "--output-dir", out.string(), "--threads", std::to_string(threads)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& [name, tensor] : want) {
      Tensor got = ReadNpy((out / (name + ".npy")).string());
      EXPECT_TRUE(BitwiseEqual(got, tensor)) << name << ": " << got.ToString() << " vs "
                                             << tensor.ToString();
      EXPECT_TRUE(Contains(r.out, name + ": f32")) << r.out;
    }
  }
}

TEST(CliRun, ExactSumAndSlashNamesMakeSubdirectories) {
  auto dir = FreshDir();
  const std::string model = WriteModel(dir, "seq.txt", CliAddSeq());
  const Tensor a = Input(2, 5, 1.0f), b = Input(2, 5, -3.0f);  // small integers: exact sums
  WriteNpy((dir / "a.npy").string(), a);
  WriteNpy((dir / "b.npy").string(), b);
  CliResult r = RunCli(dir, {"run", model, "-i", "a=" + (dir / "a.npy").string(), "-i",
                             "b=" + (dir / "b.npy").string(), "-O", (dir / "out").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Tensor sum = ReadNpy((dir / "out" / "parts" / "sum.npy").string());
  ASSERT_EQ(sum.dims(), (Dims{2, 5}));
  for (int64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(sum.data<float>()[i], a.data<float>()[i] + b.data<float>()[i]) << i;
  }
}

TEST(CliRun, RefusesOutputNamesThatLeaveTheDirectory) {
  auto dir = FreshDir();
  for (const std::string name : {"../escaped", "a//b", "/abs", "a/./b", "trailing/"}) {
    Graph g("g");
    GraphBuilder b(g);
    b.Output(name, b.Op1("relu", {b.Placeholder("x", DType::kF32, {2})}, {}, "y"));
    const std::string model = WriteModel(dir, "bad.txt", g);
    WriteNpy((dir / "x.npy").string(), Tensor::FromVector<float>({2}, {1, -1}));
    std::filesystem::create_directories(dir / "out");
    CliResult r = RunCli(dir, {"run", model, "-i", "x=" + (dir / "x.npy").string(), "-O",
                               (dir / "out").string()});
    EXPECT_EQ(r.exit_code, 2) << name << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, "output name '" + name + "'")) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "escaped.npy")) << name;
  }
}

TEST(CliRun, InputErrorsNameThePlaceholderAndShapes) {
  auto dir = FreshDir();
  const std::string model = WriteModel(dir, "mlp.txt", CliMlp());
  const std::string out = (dir / "out").string();
  WriteNpy((dir / "x.npy").string(), Input(2, 3, 1.0f));
  WriteNpy((dir / "x4.npy").string(), Input(2, 4, 1.0f));
  WriteNpy((dir / "x64.npy").string(), Tensor::Zeros(DType::kF64, {2, 3}));
  WriteText(dir / "junk.npy", "not numpy at all");
  const std::string x = "x=" + (dir / "x.npy").string();
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {{"run", model, "-O", out}, 4, {"missing input 'x'", "(N, 3)", "f32"}},
      {{"run", model, "-i", x, "-i", "z=" + (dir / "x.npy").string(), "-O", out},
       4,
       {"no input 'z'", "inputs: x"}},
      {{"run", model, "-i", "x=" + (dir / "x4.npy").string(), "-O", out}, 4, {"'x'", "3", "4"}},
      {{"run", model, "-i", "x=" + (dir / "x64.npy").string(), "-O", out},
       4,
       {"'x'", "f32", "f64"}},
      {{"run", model, "-i", "x=" + (dir / "junk.npy").string(), "-O", out},
       4,
       {"junk.npy", "magic"}},
      {{"run", model, "-i", "x=" + (dir / "none.npy").string(), "-O", out}, 3, {"none.npy"}},
      {{"run", model, "-i", x, "-i", x, "-O", out}, 1, {"given twice"}},
  };
  for (const Case& c : cases) {
    CliResult r = RunCli(dir, c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args[3] << ": " << r.err;
    for (const std::string& p : c.parts) {
      EXPECT_TRUE(Contains(r.err, p)) << "no \"" << p << "\" in: " << r.err;
    }
  }
}

double JsonNumber(const std::string& json, const std::string& key) {
  std::smatch m;
  std::regex re("\"" + key + "\": (-?[0-9.eE+-]+)");
  if (!std::regex_search(json, m, re)) {
    ADD_FAILURE() << "no number \"" << key << "\" in " << json;
    return -1;
  }
  return std::stod(m[1]);
}

TEST(CliBench, JsonHasConsistentLatenciesAndThroughput) {
  auto dir = FreshDir();
  const std::string model = WriteModel(dir, "mlp.txt", CliMlp());
  CliResult r = RunCli(dir, {"bench", model, "--batch", "4", "--threads", "1", "--warmup", "2",
                             "--iters", "7", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one JSON line: " << r.out;
  EXPECT_EQ(r.out.front(), '{');
  EXPECT_TRUE(Contains(r.out, "\"dims\": {\"N\": 4}")) << r.out;
  EXPECT_EQ(JsonNumber(r.out, "batch"), 4);
  EXPECT_EQ(JsonNumber(r.out, "threads"), 1);
  EXPECT_EQ(JsonNumber(r.out, "iters"), 7);
  const double min = JsonNumber(r.out, "min"), median = JsonNumber(r.out, "median"),
               p90 = JsonNumber(r.out, "p90"), mean = JsonNumber(r.out, "mean");
  EXPECT_GT(min, 0);
  EXPECT_LE(min, median);
  EXPECT_LE(median, p90);
  EXPECT_LE(min, mean);
  // samples/s = batch / mean latency (both printed to 6 significant digits).
  EXPECT_NEAR(JsonNumber(r.out, "throughput_samples_per_s"), 4 / (mean / 1e3),
              4 / (mean / 1e3) * 1e-4);
  CliResult text = RunCli(dir, {"bench", model, "--iters", "2", "--threads", "1"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(Contains(text.out, "samples/s")) << text.out;
  EXPECT_TRUE(Contains(text.out, "p90")) << text.out;
}

TEST(CliBench, ProfileListsTheSlowestStepsAndJsonHasEvery) {
  auto dir = FreshDir();
  const std::string model = WriteModel(dir, "mlp.txt", CliMlp());
  CliResult r = RunCli(dir, {"bench", model, "--iters", "3", "--threads", "1", "--profile",
                             "--top", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "profile: 3 runs, 1 threads")) << r.out;
  EXPECT_TRUE(Contains(r.out, "more steps")) << "--top 1 folds the rest: " << r.out;
  EXPECT_TRUE(Contains(r.out, "sum of medians")) << r.out;
  CliResult j = RunCli(dir, {"bench", model, "--iters", "2", "--threads", "1", "--profile",
                             "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  ASSERT_EQ(std::count(j.out.begin(), j.out.end(), '\n'), 1) << "one JSON line: " << j.out;
  EXPECT_TRUE(Contains(j.out, "\"profile\": {\"runs\": 2")) << j.out;
  EXPECT_TRUE(Contains(j.out, "\"median_seconds\": ")) << j.out;
  EXPECT_FALSE(Contains(j.out, "more steps")) << "the JSON has every step: " << j.out;
}

TEST(CliBench, SymbolsOtherThanTheBatchNeedDim) {
  auto dir = FreshDir();
  const std::string model = WriteModel(dir, "seq.txt", CliAddSeq());
  CliResult r = RunCli(dir, {"bench", model, "--iters", "1"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_TRUE(Contains(r.err, "input 'a'")) << r.err;
  EXPECT_TRUE(Contains(r.err, "--dim T=VALUE")) << r.err;
  CliResult ok = RunCli(dir, {"bench", model, "--iters", "1", "--dim", "T=16", "--json",
                              "--threads", "1"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(Contains(ok.out, "\"dims\": {\"N\": 1, \"T\": 16}")) << ok.out;
}

TEST(CliBench, StaticBatchModelRejectsOtherBatchSizes) {
  auto dir = FreshDir();
  Graph g("static");
  GraphBuilder b(g);
  b.Output("y", b.Op1("relu", {b.Placeholder("x", DType::kF32, {8, 3})}, {}, "y"));
  const std::string model = WriteModel(dir, "static.txt", g);
  CliResult r = RunCli(dir, {"bench", model, "--iters", "1", "--batch", "2"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_TRUE(Contains(r.err, "no symbolic batch dim")) << r.err;
  CliResult ok = RunCli(dir, {"bench", model, "--iters", "1", "--json", "--threads", "1"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(JsonNumber(ok.out, "batch"), 8) << ok.out;
}

}  // namespace
}  // namespace bronze::testing
