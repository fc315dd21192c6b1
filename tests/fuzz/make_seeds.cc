// Writes the fuzz seed corpus: valid .bronze files from small models (an MLP with symbolic batch,
// a checkpoint, the malformed suite's base model and one-op graphs of several families) into the
// directory given as the first argument. scripts/fuzz.sh runs it before fuzzing.
#include <cstdio>
#include <fstream>
#include <string>

#include "bronze/bronze.h"
#include "serialization/format_internal.h"

namespace {

void Write(const std::string& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
  std::ofstream f(dir + "/" + name, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

bronze::Tensor Ramp(bronze::Dims dims) {
  bronze::Tensor t = bronze::Tensor::Empty(bronze::DType::kF32, dims);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 0.25f * static_cast<float>(i % 7) - 0.5f;
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  using namespace bronze;
  std::string dir = argv[1];
  Dim n = Dim::Symbol("N");
  {
    Graph g("mlp");
    GraphBuilder b(g);
    b.SetLocation("seed.py:1");
    Value x = b.Placeholder("x", DType::kF32, Shape{n, 4});
    Value h = b.Op1("relu", {b.Op1("linear", {x, b.Parameter("w", Ramp({3, 4})),
                                              b.Parameter("b", Ramp({3}))})});
    b.Output("y", b.Op1("softmax", {h}, {{"axis", int64_t{-1}}}));
    Write(dir, "mlp.bronze", format::ToBytes(format::EncodeModel(g, {{"k", "v"}})));
  }
  {
    Graph g("shapes");
    GraphBuilder b(g);
    Value x = b.Placeholder("x", DType::kF32, Shape{n, Dim::Symbol("T"), 6});
    Value r = b.Op1("reshape", {x}, {{"shape", Shape{n * Dim::Symbol("T"), Dim(2), Dim(3)}}});
    Value c = b.Op1("cast", {r}, {{"dtype", DType::kF64}});
    b.Output("c", c);
    b.Output("s", b.Op1("reduce_sum", {c}, {{"axes", std::vector<int64_t>{1}}}));
    Write(dir, "shapes.bronze", format::ToBytes(format::EncodeModel(g, {})));
  }
  {
    Graph g("consts");
    GraphBuilder b(g);
    Value x = b.Placeholder("x", DType::kI64, Shape{2});
    Value k = b.Constant(Tensor::FromVector<int64_t>({2}, {3, -4}), "k");
    b.Constant(Tensor::FromVector<bool>({2}, {true, false}), "mask");
    b.Output("y", b.Op1("mul", {x, k}));
    Write(dir, "consts.bronze", format::ToBytes(format::EncodeModel(g, {})));
  }
  {
    Checkpoint c;
    c.step = 9;
    c.tensors["w"] = Ramp({2, 2});
    Write(dir, "checkpoint.bronze", format::ToBytes(format::EncodeCheckpoint(c)));
  }
  return 0;
}
