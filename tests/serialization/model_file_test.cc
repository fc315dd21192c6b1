// Model files: save and load round trips (graph structure, symbolic shapes, every attribute kind,
// locations, outputs, metadata, empty and bool tensors), Session outputs of a loaded model
// bitwise equal to the original's, mmap and copy loading, the file layout (identifier, 64-byte
// aligned weights), atomic overwrite, IO errors and file-kind mix-ups.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "serialization/bronze_generated.h"
#include "serialization/format_internal.h"
#include "tests/test_util.h"

namespace bronze::testing {
namespace {

Tensor Random(Dims dims, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  Tensor t = Tensor::Empty(DType::kF32, dims);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
  return t;
}

// An MLP over x f32[N, 4] with symbolic batch, locations, a scope, a bool and an empty constant.
Graph Mlp() {
  Graph g("mlp");
  GraphBuilder b(g);
  Dim n = Dim::Symbol("N");
  b.SetLocation("model.py:10");
  Value x = b.Placeholder("x", DType::kF32, Shape{n, 4});
  b.PushScope("dense1");
  b.SetLocation("model.py:11");
  Value h = b.Op1("linear", {x, b.Parameter("w", Random({8, 4}, 1)),
                             b.Parameter("b", Random({8}, 2))});
  b.PopScope();
  h = b.Op1("relu", {h});
  b.SetLocation("model.py:12");
  Value y = b.Op1("linear", {h, b.Parameter("w2", Random({3, 8}, 3)),
                             b.Parameter("b2", Random({3}, 4))});
  b.Output("logits", y);
  b.Output("probs", b.Op1("softmax", {y}, {{"axis", int64_t{-1}}}));
  b.Constant(Tensor::FromVector<bool>({3}, {true, false, true}), "mask");
  b.Constant(Tensor::Empty(DType::kF32, {0, 5}), "empty");
  b.Constant(Tensor::Scalar<int64_t>(-7), "scalar");
  return g;
}

TEST(ModelFile, RoundTripKeepsTheGraphAndMetadata) {
  ScratchDir scratch;
  std::string dir = scratch.str();
  Graph g = Mlp();
  Model(g, {{"author", "me"}, {"note", "ünïcode \"quoted\"\n"}}).Save(dir + "/m.bronze");
  ASSERT_TRUE(IsModelFile(dir + "/m.bronze"));
  for (bool mmap : {true, false}) {
    LoadOptions o;
    o.mmap = mmap;
    Model m = Model::Load(dir + "/m.bronze", o);
    std::string why;
    EXPECT_TRUE(StructurallyEqual(m.graph(), g, &why)) << why;
    EXPECT_EQ(PrintGraph(m.graph()), PrintGraph(g));
    EXPECT_EQ(m.metadata().at("author"), "me");
    EXPECT_EQ(m.metadata().at("note"), "ünïcode \"quoted\"\n");
    EXPECT_EQ(m.metadata().at("producer"), "bronze");
    EXPECT_FALSE(m.metadata().at("bronze_version").empty());
    NodeId w = m.graph().FindNode("dense1/w");
    ASSERT_NE(w, kNoNode);
    EXPECT_EQ(m.graph().node(w).location, "model.py:11");
    EXPECT_EQ(m.graph().outputs(), g.outputs());
    // Saving the loaded model again gives the same bytes (the encoding is deterministic).
    m.Save(dir + "/again.bronze");
    EXPECT_EQ(format::ToBytes(format::EncodeModel(m.graph(), m.metadata())),
              format::ToBytes(format::EncodeModel(Model::Load(dir + "/again.bronze").graph(),
                                                  m.metadata())));
  }
}

TEST(ModelFile, LoadedModelRunsBitwiseIdentically) {
  ScratchDir scratch;
  std::string dir = scratch.str();
  Graph g = Mlp();
  Model(g).Save(dir + "/m.bronze");
  Tensor x = Random({5, 4}, 9);
  for (int threads : {1, 2}) {
    SessionOptions so;
    so.threads = threads;
    NamedTensors want = Session(g, so).Run({{"x", x}});
    for (bool mmap : {true, false}) {
      LoadOptions o;
      o.mmap = mmap;
      Model m = Model::Load(dir + "/m.bronze", o);
      NamedTensors got = Session(m, so).Run({{"x", x}});
      ASSERT_EQ(got.size(), want.size());
      for (const auto& [name, t] : want) EXPECT_TRUE(BitwiseEqual(got.at(name), t)) << name;
    }
  }
}

TEST(ModelFile, MmapWeightsAreViewsOfTheFileAndCopyOnWrite) {
  ScratchDir scratch;
  std::string dir = scratch.str();
  Graph g = Mlp();
  Model(g).Save(dir + "/m.bronze");
  Model m = Model::Load(dir + "/m.bronze");
  const Tensor& w = m.graph().node(m.graph().FindNode("dense1/w")).data;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w.raw_data()) % 64, 0u);
  EXPECT_TRUE(BitwiseEqual(w, g.node(g.FindNode("dense1/w")).data));
  // Writing through the view changes neither the file nor another load.
  w.data<float>()[0] = 12345.0f;
  Model again = Model::Load(dir + "/m.bronze");
  EXPECT_TRUE(BitwiseEqual(again.graph().node(again.graph().FindNode("dense1/w")).data,
                           g.node(g.FindNode("dense1/w")).data));
}

TEST(ModelFile, LayoutHasTheIdentifierAndAlignedWeights) {
  Graph g = Mlp();
  std::vector<uint8_t> bytes = format::ToBytes(format::EncodeModel(g, {}));
  ASSERT_GE(bytes.size(), 8u);
  EXPECT_EQ(std::string(bytes.begin() + 4, bytes.begin() + 8), "BRNZ");
  const fb::ModelFile* root = fb::GetModelFile(bytes.data());
  EXPECT_EQ(root->version_major(), format::kVersionMajor);
  EXPECT_EQ(root->weight_section_offset() % 64, 0u);
  EXPECT_EQ(root->weight_section_offset() + root->weight_section_size(), bytes.size());
  int tensors = 0;
  for (const fb::Node* n : *root->graph()->nodes()) {
    if (!n->data()) continue;
    ++tensors;
    EXPECT_EQ(n->data()->offset() % 64, 0u) << n->name()->str();
    // The bytes at the offset are the node's data (an independent read of the layout).
    const Node& node = g.node(g.FindNode(n->name()->str()));
    ASSERT_EQ(n->data()->size(), node.data.nbytes());
    EXPECT_EQ(std::memcmp(bytes.data() + root->weight_section_offset() + n->data()->offset(),
                          node.data.raw_data(), node.data.nbytes()), 0) << n->name()->str();
  }
  EXPECT_EQ(tensors, 7);
}

TEST(ModelFile, SymbolicShapeAndDTypeAttributesRoundTrip) {
  // (op_roundtrip_test.cc covers every attribute kind through the op test cases.)
  Graph g("attrs");
  GraphBuilder b(g);
  Dim n = Dim::Symbol("N"), t = Dim::Symbol("T");
  Value x = b.Placeholder("x", DType::kF32, Shape{n, t, 6});
  Value r = b.Op1("reshape", {x}, {{"shape", Shape{n * t, Dim(2), Dim(3)}}});
  Value c = b.Op1("cast", {r}, {{"dtype", DType::kF64}});
  b.Output("c", c);
  b.Output("r", r);
  ScratchDir scratch;
  std::string path = scratch / "a.bronze";
  Model(g).Save(path);
  Model m = Model::Load(path);
  std::string why;
  EXPECT_TRUE(StructurallyEqual(m.graph(), g, &why)) << why;
}

TEST(ModelFile, OverwriteIsAtomicAndLeavesNoTemporaryFiles) {
  ScratchDir scratch;
  std::string dir = scratch.str();
  Model(Mlp()).Save(dir + "/m.bronze");
  Model(Mlp(), {{"v", "2"}}).Save(dir + "/m.bronze");
  EXPECT_EQ(Model::Load(dir + "/m.bronze").metadata().at("v"), "2");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(ModelFile, IoErrorsAndWrongKinds) {
  ScratchDir scratch;
  std::string dir = scratch.str();
  ExpectError<IoError>([&] { Model::Load(dir + "/missing.bronze"); }, {"missing.bronze"});
  ExpectError<IoError>([&] { Model(Mlp()).Save(dir + "/no/such/dir/m.bronze"); }, {"no/such/dir"});
  Checkpoint c;
  c.step = 3;
  c.tensors["a"] = Random({2}, 1);
  SaveCheckpoint(dir + "/c.bronze", c);
  try {
    Model::Load(dir + "/c.bronze");
    ADD_FAILURE() << "a checkpoint loaded as a model";
  } catch (const ModelFormatError& e) {
    EXPECT_EQ(e.load_code(), LoadErrorCode::kWrongFileKind);
  }
  Model(Mlp()).Save(dir + "/m.bronze");
  try {
    LoadCheckpoint(dir + "/m.bronze");
    ADD_FAILURE() << "a model loaded as a checkpoint";
  } catch (const ModelFormatError& e) {
    EXPECT_EQ(e.load_code(), LoadErrorCode::kWrongFileKind);
  }
  std::ofstream(dir + "/text.ir") << "graph \"main\" {\n}\n";
  EXPECT_FALSE(IsModelFile(dir + "/text.ir"));
  try {
    Model::Load(dir + "/text.ir");
    ADD_FAILURE() << "text loaded";
  } catch (const ModelFormatError& e) {
    EXPECT_EQ(e.load_code(), LoadErrorCode::kBadIdentifier);
  }
}

TEST(ModelFile, CheckpointRoundTripsEveryDType) {
  ScratchDir scratch;
  std::string dir = scratch.str();
  Checkpoint c;
  c.step = 42;
  c.metadata["run"] = "abc";
  c.tensors["f32"] = Random({3, 5}, 7);
  c.tensors["f64"] = Tensor::FromVector<double>({2}, {1.5, -2.25});
  c.tensors["i32"] = Tensor::FromVector<int32_t>({2}, {-1, 7});
  c.tensors["i64"] = Tensor::Scalar<int64_t>(1ll << 40);
  c.tensors["u8"] = Tensor::FromVector<uint8_t>({3}, {0, 128, 255});
  c.tensors["bool"] = Tensor::FromVector<bool>({2}, {true, false});
  c.tensors["empty"] = Tensor::Empty(DType::kF32, {0});
  SaveCheckpoint(dir + "/c.bronze", c);
  Checkpoint back = LoadCheckpoint(dir + "/c.bronze");
  EXPECT_EQ(back.step, 42);
  EXPECT_EQ(back.metadata.at("run"), "abc");
  ASSERT_EQ(back.tensors.size(), c.tensors.size());
  for (const auto& [name, t] : c.tensors) EXPECT_TRUE(BitwiseEqual(back.tensors.at(name), t)) << name;
}

}  // namespace
}  // namespace bronze::testing
