// Small models for the `bronze` command-line tests, built with GraphBuilder so the tests can
// compute what the CLI should report from the graph itself.
#pragma once

#include <string>
#include <vector>

#include "bronze/bronze.h"

namespace bronze::testing {

// hidden = relu(x @ w + bias); total = reduce_sum(hidden, axis 1); x is f32[N, 3].
inline Graph CliMlp() {
  Graph g("mlp");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, {Dim::Symbol("N"), 3});
  Value w = b.Parameter("w", Tensor::FromVector<float>({3, 4}, {0.5f, -1.0f, 0.25f, 1.0f, -0.5f,
                                                                2.0f, 0.75f, 0.0f, 1.5f, 0.5f,
                                                                -1.0f, 0.5f}));
  Value bias = b.Parameter("bias", Tensor::FromVector<float>({4}, {0.1f, -0.2f, 0.0f, 0.3f}));
  Value h = b.Op1("relu", {b.Op1("add", {b.Op1("matmul", {x, w}), bias})}, {}, "hidden");
  b.Output("hidden", h);
  b.Output("total", b.Op1("reduce_sum", {h}, {{"axes", std::vector<int64_t>{1}}}, "total"));
  return g;
}

// sum = a + b, both f32[N, T] (T is not a batch dim); output "parts/sum" (a '/' in the name).
inline Graph CliAddSeq() {
  Graph g("add_seq");
  GraphBuilder b(g);
  Value a = b.Placeholder("a", DType::kF32, {Dim::Symbol("N"), Dim::Symbol("T")});
  Value c = b.Placeholder("b", DType::kF32, {Dim::Symbol("N"), Dim::Symbol("T")});
  b.Output("parts/sum", b.Op1("add", {a, c}, {}, "sum"));
  return g;
}

}  // namespace bronze::testing
