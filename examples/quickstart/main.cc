// bronze quick start (what `make demo` runs for now): build a small graph with a symbolic batch
// dim through the C++ API, print its text IR, and run it for two batch sizes. The second run of
// the same shape reuses the compiled plan.
#include <bronze/bronze.h>

#include <iostream>
#include <vector>

int main() {
  using namespace bronze;
  Graph graph("quickstart");
  GraphBuilder b(graph);
  b.SetLocation("examples/quickstart/main.cc");

  // y = relu(x @ w + bias), and the per-example sum of y. x has shape (N, 3).
  Dim n = Dim::Symbol("N");
  Value x = b.Placeholder("x", DType::kF32, {n, 3});
  Value w = b.Parameter("w", Tensor::FromVector<float>({3, 4}, {0.5f, -1.0f, 0.25f, 1.0f,  //
                                                               -0.5f, 2.0f, 0.75f, 0.0f,  //
                                                               1.5f, 0.5f, -1.0f, 0.5f}));
  Value bias = b.Parameter("bias", Tensor::FromVector<float>({4}, {0.1f, -0.2f, 0.0f, 0.3f}));
  Value h = b.Op1("relu", {b.Op1("add", {b.Op1("matmul", {x, w}), bias})}, {}, "hidden");
  Value total = b.Op1("reduce_sum", {h}, {{"axes", std::vector<int64_t>{1}}}, "total");
  b.Output("hidden", h);
  b.Output("total", total);

  std::cout << "graph (text IR):\n" << PrintGraph(graph, TextOptions{.locations = false}) << "\n";

  Session session(graph);
  for (int64_t batch : {1, 7, 7}) {
    std::vector<float> data(static_cast<size_t>(batch * 3));
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i % 5) - 1.5f;
    NamedTensors out = session.Run({{"x", Tensor::FromVector<float>({batch, 3}, data)}});
    std::cout << "N = " << batch << "\n  hidden = " << out["hidden"].ToString(12)
              << "\n  total  = " << out["total"].ToString() << "\n";
  }
  std::cout << "compiled plans: " << session.num_compiles() << " (one per distinct batch size; the "
            << "second N = 7 run reused its plan)\n";
  return 0;
}
