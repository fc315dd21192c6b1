// The convolution layers of ResNet-18 (conv1 7x7/2 on 224x224, the 3x3 convs of each stage
// including the stride-2 ones, the 1x1 stride-2 downsample convs) and the two convs of the small
// CNN of benchmarks/models (32x32 images) at batch 1 and 8, 2 threads:
// bronze's conv2d kernel (whichever path it picks: the direct convolution, im2col + GEMM, or
// single-threaded oneDNN primitives per chunk; chunks split by bronze across a TBB arena;
// bench::KernelRunner, bound once) against oneDNN's own OpenMP-threaded convolution
// primitive in the same run, two ways:
//   OneDnnConv:      the same job as bronze's kernel: NCHW input, OIHW weights and bias in, NCHW
//                    out, with the primitive in its preferred layouts and the reorders in the
//                    timed loop (what a framework without a layout pass pays);
//   OneDnnPrimitive: the convolution primitive alone on tensors already in its layouts (a lower
//                    bound bronze cannot reach without a layout pass).
// Ratios are times (bronze / peer; below 1 is faster). Run with OMP_WAIT_POLICY=passive.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "benchmarks/bench_util.h"
#include "bronze/bronze.h"

namespace {

using bronze::DType;
using bronze::Tensor;

struct Layer {
  const char* name;
  int64_t c_in, c_out, size, kernel, stride, pad;
};

const Layer kLayers[] = {
    {"conv1_7x7s2", 3, 64, 224, 7, 2, 3},      {"layer1_3x3", 64, 64, 56, 3, 1, 1},
    {"layer2_3x3s2", 64, 128, 56, 3, 2, 1},    {"layer2_3x3", 128, 128, 28, 3, 1, 1},
    {"layer2_down1x1", 64, 128, 56, 1, 2, 0},  {"layer3_3x3s2", 128, 256, 28, 3, 2, 1},
    {"layer3_3x3", 256, 256, 14, 3, 1, 1},     {"layer3_down1x1", 128, 256, 28, 1, 2, 0},
    {"layer4_3x3s2", 256, 512, 14, 3, 2, 1},   {"layer4_3x3", 512, 512, 7, 3, 1, 1},
    {"layer4_down1x1", 256, 512, 14, 1, 2, 0},
    // The small CNN of issue 7's W3 (32x32 images).
    {"cnn_3x3", 3, 32, 32, 3, 1, 1},           {"cnn_3x3s2", 32, 64, 32, 3, 2, 1},
};
constexpr int kThreads = 2;

Tensor Filled(bronze::Dims dims, uint32_t seed) {
  Tensor t = Tensor::Empty(DType::kF32, std::move(dims));
  float* p = t.data<float>();
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = static_cast<float>(s >> 8) / static_cast<float>(1 << 23) - 1.0f;
  }
  return t;
}

int64_t OutSize(const Layer& l) { return (l.size + 2 * l.pad - l.kernel) / l.stride + 1; }

void SetFlops(benchmark::State& state, const Layer& l, int64_t batch) {
  const int64_t o = OutSize(l);
  state.SetItemsProcessed(state.iterations() * 2 * batch * l.c_out * o * o * l.c_in * l.kernel *
                          l.kernel);
}

// Args: layer index, batch.
void BM_BronzeConv(benchmark::State& state) {
  const Layer& l = kLayers[state.range(0)];
  const int64_t n = state.range(1);
  bronze::AttrMap attrs = {{"stride", std::vector<int64_t>{l.stride, l.stride}},
                           {"padding", std::vector<int64_t>{l.pad, l.pad}}};
  bronze::bench::KernelRunner kernel(
      "conv2d", attrs,
      {Filled({n, l.c_in, l.size, l.size}, 1), Filled({l.c_out, l.c_in, l.kernel, l.kernel}, 2),
       Filled({l.c_out}, 3)},
      kThreads);
  for (auto _ : state) kernel.Run();
  SetFlops(state, l, n);
}

// oneDNN with OpenMP threads: `whole_job` adds the reorders from / to the user's layouts.
void OneDnnConv(benchmark::State& state, bool whole_job) {
  using dnnl::memory;
  using Tag = memory::format_tag;
  const Layer& l = kLayers[state.range(0)];
  const int64_t n = state.range(1), o = OutSize(l);
  omp_set_num_threads(kThreads);  // before the primitive is created: it sizes its work with it
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(eng);
  Tensor x = Filled({n, l.c_in, l.size, l.size}, 1);
  Tensor w = Filled({l.c_out, l.c_in, l.kernel, l.kernel}, 2);
  Tensor b = Filled({l.c_out}, 3);
  Tensor y = Tensor::Zeros(DType::kF32, {n, l.c_out, o, o});
  const memory::dims src_dims = {n, l.c_in, l.size, l.size}, dst_dims = {n, l.c_out, o, o};
  const memory::dims w_dims = {l.c_out, l.c_in, l.kernel, l.kernel};
  memory::desc any_src(src_dims, memory::data_type::f32, Tag::any);
  memory::desc any_w(w_dims, memory::data_type::f32, Tag::any);
  memory::desc any_dst(dst_dims, memory::data_type::f32, Tag::any);
  memory::desc bias_md({l.c_out}, memory::data_type::f32, Tag::x);
  dnnl::convolution_forward::primitive_desc pd(
      dnnl::convolution_forward::desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, any_src, any_w,
          bias_md, any_dst, {l.stride, l.stride}, {l.pad, l.pad}, {l.pad, l.pad}),
      eng);
  dnnl::convolution_forward conv(pd);
  memory user_src({src_dims, memory::data_type::f32, Tag::nchw}, eng, x.data<float>());
  memory user_w({w_dims, memory::data_type::f32, Tag::oihw}, eng, w.data<float>());
  memory user_dst({dst_dims, memory::data_type::f32, Tag::nchw}, eng, y.data<float>());
  memory bias(bias_md, eng, b.data<float>());
  memory src(pd.src_desc(), eng), weights(pd.weights_desc(), eng), dst(pd.dst_desc(), eng);
  dnnl::reorder to_src(user_src, src), to_w(user_w, weights), from_dst(dst, user_dst);
  to_src.execute(stream, user_src, src);
  to_w.execute(stream, user_w, weights);
  for (auto _ : state) {
    if (whole_job) {
      to_src.execute(stream, user_src, src);
      to_w.execute(stream, user_w, weights);
    }
    conv.execute(stream, {{DNNL_ARG_SRC, src},
                          {DNNL_ARG_WEIGHTS, weights},
                          {DNNL_ARG_BIAS, bias},
                          {DNNL_ARG_DST, dst}});
    if (whole_job) from_dst.execute(stream, dst, user_dst);
    stream.wait();
  }
  SetFlops(state, l, n);
}
void BM_OneDnnConv(benchmark::State& state) { OneDnnConv(state, true); }
void BM_OneDnnPrimitive(benchmark::State& state) { OneDnnConv(state, false); }

void Layers(benchmark::internal::Benchmark* b) {
  for (int64_t batch : {1, 8}) {
    for (size_t i = 0; i < std::size(kLayers); ++i) b->Args({static_cast<int64_t>(i), batch});
  }
  b->UseRealTime();
  b->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_BronzeConv)->Apply(Layers);
BENCHMARK(BM_OneDnnConv)->Apply(Layers);
BENCHMARK(BM_OneDnnPrimitive)->Apply(Layers);

}  // namespace

int main(int argc, char** argv) {
  using bronze::bench::Comparison;
  using bronze::bench::Metric;
  std::vector<Comparison> comparisons;
  for (const char* peer : {"BM_OneDnnConv", "BM_OneDnnPrimitive"}) {
    for (int64_t batch : {1, 8}) {
      for (size_t i = 0; i < std::size(kLayers); ++i) {
        const std::string args =
            "/" + std::to_string(i) + "/" + std::to_string(batch) + "/real_time";
        comparisons.push_back({std::string(kLayers[i].name) + " N=" + std::to_string(batch) +
                                   (peer == std::string("BM_OneDnnConv") ? " vs job" : " vs prim"),
                               "BM_BronzeConv" + args, peer + args, Metric::kTime});
      }
    }
  }
  return bronze::bench::Main(argc, argv, comparisons);
}
