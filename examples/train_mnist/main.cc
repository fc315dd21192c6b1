// Trains an MLP classifier on Fashion-MNIST from C++ alone: the model is a bronze graph built
// with GraphBuilder, its training step (forward, cross-entropy, backward, Adam update in place)
// is compiled once by Trainer, and the trained parameters are then evaluated on the test set by
// an inference Session. The data are Debian's dataset-fashion-mnist files (IDX format, gzip),
// which scripts/setup.sh installs. Usage: bronze_train_mnist [epochs] [data directory]
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <random>
#include <string>

#include <bronze/bronze.h>

using namespace bronze;

namespace {

// An IDX file (gzip-compressed): big-endian magic, dims, then uint8 data.
std::vector<uint8_t> ReadIdx(const std::string& path, std::vector<int64_t>* dims) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw IoError("cannot open " + path + " (install Debian's dataset-fashion-mnist)");
  auto read = [&](void* p, unsigned n) {
    if (gzread(f, p, n) != static_cast<int>(n)) throw IoError("truncated file " + path);
  };
  auto be32 = [&] {
    uint8_t b[4];
    read(b, 4);
    return static_cast<int64_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3]);
  };
  const int64_t magic = be32();
  if ((magic >> 8) != 0x08) throw IoError(path + " is not an IDX file of unsigned bytes");
  int64_t count = 1;
  for (int64_t d = 0; d < (magic & 0xff); ++d) {
    dims->push_back(be32());
    count *= dims->back();
  }
  std::vector<uint8_t> data(static_cast<size_t>(count));
  for (size_t off = 0; off < data.size(); off += 1 << 20) {
    read(data.data() + off, static_cast<unsigned>(std::min<size_t>(1 << 20, data.size() - off)));
  }
  gzclose(f);
  return data;
}

struct Split {
  Tensor images;  // f32 (n, 784) in [0, 1]
  Tensor labels;  // i64 (n,)
};

Split Load(const std::string& dir, const std::string& prefix) {
  std::vector<int64_t> idims, ldims;
  std::vector<uint8_t> img = ReadIdx(dir + "/" + prefix + "-images-idx3-ubyte.gz", &idims);
  std::vector<uint8_t> lab = ReadIdx(dir + "/" + prefix + "-labels-idx1-ubyte.gz", &ldims);
  const int64_t n = idims[0];
  Split s{Tensor::Empty(DType::kF32, {n, 784}), Tensor::Empty(DType::kI64, {n})};
  for (size_t i = 0; i < img.size(); ++i) s.images.data<float>()[i] = img[i] / 255.0f;
  for (int64_t i = 0; i < n; ++i) s.labels.data<int64_t>()[i] = lab[static_cast<size_t>(i)];
  return s;
}

Tensor Uniform(Dims dims, float bound, std::mt19937_64& rng) {
  Tensor t = Tensor::Empty(DType::kF32, dims);
  std::uniform_real_distribution<float> u(-bound, bound);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// x (N, 784) -> linear 256 -> relu -> dropout 0.1 -> linear 10; loss cross_entropy, accuracy.
Graph BuildModel() {
  std::mt19937_64 rng(0);
  Graph g("fashion_mlp");
  GraphBuilder b(g);
  const Dim n = Dim::Symbol("N");
  Value x = b.Placeholder("x", DType::kF32, Shape{n, 784});
  Value y = b.Placeholder("y", DType::kI64, Shape{n});
  auto dense = [&](Value in, int64_t fan_in, int64_t out, const std::string& name) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));  // torch.nn.Linear's init
    return b.Op1("linear", {in, b.Parameter(name + "/weight", Uniform({out, fan_in}, bound, rng)),
                            b.Parameter(name + "/bias", Uniform({out}, bound, rng))}, {}, name);
  };
  Value h = b.Op1("relu", {dense(x, 784, 256, "fc1")}, {}, "relu1");
  h = b.Op1("dropout", {h}, {{"p", 0.1}, {"seed", int64_t{42}}, {"training", int64_t{0}}}, "drop1");
  Value logits = dense(h, 256, 10, "fc2");
  b.Output("logits", logits);
  b.Output("loss", b.Op1("cross_entropy", {logits, y}));
  Value hit = b.Op1("cast", {b.Op1("equal", {b.Op1("argmax", {logits}, {{"axis", int64_t{1}}}), y})},
                    {{"dtype", DType::kF32}});
  b.Output("accuracy", b.Op1("reduce_mean", {hit}));
  return g;
}

Tensor Rows(const Tensor& t, const std::vector<int64_t>& order, int64_t begin, int64_t end) {
  Dims dims = t.dims();
  dims[0] = end - begin;
  const int64_t row = t.numel() / t.dims()[0];
  const size_t bytes = static_cast<size_t>(row) * DTypeSize(t.dtype());
  Tensor out = Tensor::Empty(t.dtype(), dims);
  for (int64_t i = begin; i < end; ++i) {
    std::memcpy(static_cast<char*>(out.raw_data()) + static_cast<size_t>(i - begin) * bytes,
                static_cast<const char*>(t.raw_data()) + static_cast<size_t>(order[static_cast<size_t>(i)]) * bytes, bytes);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 5;
  const std::string dir = argc > 2 ? argv[2] : "/usr/share/datasets/fashion-mnist";
  try {
    Split train = Load(dir, "train"), test = Load(dir, "t10k");
    const int64_t n = train.images.dims()[0], batch = 128;
    std::printf("Fashion-MNIST: %lld training and %lld test images\n", static_cast<long long>(n),
                static_cast<long long>(test.images.dims()[0]));

    Graph model = BuildModel();
    TrainerOptions o;
    o.training.optimizer = OptimizerSpec::Adam();
    const int64_t steps_per_epoch = n / batch;
    o.schedule = CosineLr(2e-3, steps_per_epoch * epochs, 1e-4);
    Trainer trainer(model, o);

    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(1);
    for (int e = 0; e < epochs; ++e) {
      std::shuffle(order.begin(), order.end(), rng);
      double loss = 0, acc = 0;
      auto t0 = std::chrono::steady_clock::now();
      for (int64_t s = 0; s < steps_per_epoch; ++s) {
        NamedTensors out = trainer.Step({{"x", Rows(train.images, order, s * batch, (s + 1) * batch)},
                                         {"y", Rows(train.labels, order, s * batch, (s + 1) * batch)}});
        loss += out.at("loss").data<float>()[0];
        acc += out.at("accuracy").data<float>()[0];
      }
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("epoch %d: loss %.4f, train accuracy %.4f, %.0f images/s\n", e + 1,
                  loss / static_cast<double>(steps_per_epoch), acc / static_cast<double>(steps_per_epoch),
                  static_cast<double>(steps_per_epoch * batch) / secs);
    }
    std::printf("%s\n", trainer.Memory({{"x", Rows(train.images, order, 0, batch)},
                                        {"y", Rows(train.labels, order, 0, batch)}}).ToString().c_str());

    // Evaluation: the model graph in inference mode with the trained parameters.
    Session eval(model);
    for (const std::string& p : trainer.parameters()) eval.set_parameter(p, trainer.parameter(p));
    NamedTensors out = eval.Run({{"x", test.images}, {"y", test.labels}});
    std::printf("test: loss %.4f, accuracy %.4f\n", out.at("loss").data<float>()[0],
                out.at("accuracy").data<float>()[0]);
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
