// Semantics of the linear-algebra ops that random conformance cases cannot show, against values
// derived by hand or computed here from PyTorch's definitions: symbolic batch dims through the
// shape functions, 'same' padding placing the odd pad at the bottom / right, dilation, strides
// that floor, groups, per-side padding, conv_transpose2d as the adjoint of conv2d and its
// output_padding, linear's weight layout, matmul's transpose flags (values, and kept off the
// text IR when unset). Then the oneDNN layer (kernels/cpu/onednn.h): epilogues
// (bias, activations, residual before / after the activation) against the reference kernels plus
// the formulas, bitwise-identical results for 1 and 2 threads, a bound kernel run from several
// threads at once, and OpenMP kept single-threaded.
#include "graph/ops/linalg.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "hwy/targets.h"

#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/conv_im2col.h"
#include "kernels/cpu/onednn.h"
#include "kernels/parallel.h"
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

using V = std::vector<int64_t>;

TensorType T32(Shape s) { return TensorType{DType::kF32, std::move(s)}; }

Shape Infer(const std::string& op, const AttrMap& attrs, std::vector<TensorType> in) {
  const OpSchema& schema = OpRegistry::Global().Get(op);
  return InferOutputTypes(schema, ResolveAttributes(schema, attrs), in, "n", "")[0].shape;
}

// Runs `op` on the ref and the cpu backend (2 threads); both must give `want` (within 1e-5).
void ExpectBoth(const std::string& op, const AttrMap& attrs, const std::vector<Tensor>& in,
                const Tensor& want) {
  for (const char* backend : {"ref", "cpu"}) {
    SCOPED_TRACE(backend);
    const KernelEntry* e =
        KernelRegistry::Global().Find(op, DeviceKind::kCPU, DType::kF32, backend);
    ASSERT_NE(e, nullptr);
    std::vector<Tensor> got = RunKernel(*e, op, attrs, in, 2);
    EXPECT_EQ(Compare(got[0], want, 1e-5, 1e-5), "");
  }
}

Tensor F(Dims dims, std::vector<float> v) { return Tensor::FromVector<float>(std::move(dims), v); }

Tensor Iota(Dims dims) {
  std::vector<float> v(static_cast<size_t>(NumElements(dims)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return F(std::move(dims), v);
}

Tensor Random(Dims dims, uint64_t seed) { return MakeInput(F32(std::move(dims)), seed); }

// --- shape functions ---

TEST(LinalgShapes, ConvKeepsASymbolicBatch) {
  Shape n_chw{Dim::Symbol("N"), 3, 32, 32};
  EXPECT_EQ(
      Infer("conv2d", {{"stride", V{2, 2}}, {"padding", V{1, 1}}}, {T32(n_chw), T32({8, 3, 3, 3})}),
      (Shape{Dim::Symbol("N"), 8, 16, 16}));
  EXPECT_EQ(Infer("conv_transpose2d",
                  {{"stride", V{2, 2}}, {"padding", V{1, 1}}, {"output_padding", V{1, 1}}},
                  {T32(n_chw), T32({3, 4, 3, 3})}),
            (Shape{Dim::Symbol("N"), 4, 64, 64}));
}

TEST(LinalgShapes, SamePaddingKeepsSymbolicSpatialDims) {
  Shape x{Dim::Symbol("N"), 3, Dim::Symbol("H"), Dim::Symbol("W")};
  EXPECT_EQ(
      Infer("conv2d", {{"auto_pad", "same"}, {"dilation", V{2, 3}}}, {T32(x), T32({8, 3, 4, 3})}),
      (Shape{Dim::Symbol("N"), 8, Dim::Symbol("H"), Dim::Symbol("W")}));
  // Explicit padding equal to dilation * (k - 1) keeps them too.
  EXPECT_EQ(Infer("conv2d", {{"padding", V{1, 1}}}, {T32(x), T32({8, 3, 3, 3})}),
            (Shape{Dim::Symbol("N"), 8, Dim::Symbol("H"), Dim::Symbol("W")}));
}

TEST(LinalgShapes, LinearAndMatmulKeepLeadingSymbols) {
  Shape x{Dim::Symbol("N"), Dim::Symbol("T"), 64};
  EXPECT_EQ(Infer("linear", {}, {T32(x), T32({10, 64}), T32({10})}),
            (Shape{Dim::Symbol("N"), Dim::Symbol("T"), 10}));
  EXPECT_EQ(Infer("matmul", {}, {T32(x), T32({64, 5})}),
            (Shape{Dim::Symbol("N"), Dim::Symbol("T"), 5}));
}

TEST(LinalgShapes, OutputSizesFollowPyTorch) {
  // floor((H + 2p - d*(k-1) - 1) / s) + 1: (10 + 2 - 4 - 1) / 3 + 1 = 3 (7 / 3 floors).
  EXPECT_EQ(Infer("conv2d", {{"stride", V{3, 1}}, {"padding", V{1, 0}}, {"dilation", V{2, 1}}},
                  {T32({1, 1, 10, 4}), T32({1, 1, 3, 1})}),
            (Shape{1, 1, 3, 4}));
  // (H - 1)*s - 2p + d*(k-1) + output_padding + 1 = 6*2 - 2 + 2 + 1 + 1 = 14.
  EXPECT_EQ(Infer("conv_transpose2d",
                  {{"stride", V{2, 2}}, {"padding", V{1, 1}}, {"output_padding", V{1, 0}}},
                  {T32({1, 1, 7, 7}), T32({1, 1, 3, 3})}),
            (Shape{1, 1, 14, 13}));
  // 'valid' is no padding; per-side padding adds each side once.
  EXPECT_EQ(Infer("conv2d", {{"auto_pad", "valid"}}, {T32({1, 1, 5, 6}), T32({1, 1, 3, 2})}),
            (Shape{1, 1, 3, 5}));
  EXPECT_EQ(Infer("conv2d", {{"padding", V{1, 0, 2, 3}}}, {T32({1, 1, 5, 6}), T32({1, 1, 1, 1})}),
            (Shape{1, 1, 8, 9}));
}

TEST(LinalgShapes, SamePaddingSplitsTheTotalWithTheOddOneAtTheEnd) {
  ops::ConvGeometry g = ops::Conv2dGeometry({{"stride", V{1, 1}},
                                             {"padding", V{0, 0}},
                                             {"dilation", V{1, 3}},
                                             {"groups", 1},
                                             {"auto_pad", "same"}},
                                            {1, 1, 9, 9}, {1, 1, 4, 3});
  EXPECT_EQ(g.pad_begin[0], 1);  // total 3
  EXPECT_EQ(g.pad_end[0], 2);
  EXPECT_EQ(g.pad_begin[1], 3);  // total 3 * 2 = 6
  EXPECT_EQ(g.pad_end[1], 3);
  EXPECT_EQ(g.out[0], 9);
  EXPECT_EQ(g.out[1], 9);
}

// --- values from the definitions ---

TEST(Conv2dValues, SamePaddingPutsTheOddPadAtTheBottomRight) {
  // x = 1..9 in 3x3, a 2x2 kernel of ones: total padding 1 per dim, all of it at the end, so
  // y[i][j] sums the 2x2 window starting at (i, j), reading 0 past the bottom / right edge.
  Tensor x = F({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = F({1, 1, 2, 2}, {1, 1, 1, 1});
  ExpectBoth("conv2d", {{"auto_pad", "same"}}, {x, w},
             F({1, 1, 3, 3}, {12, 16, 9, 24, 28, 15, 15, 17, 9}));
}

TEST(Conv2dValues, DilationSpacesTheTaps) {
  // y[i][j] = x[i][j] + 10 x[i][j+2] + 100 x[i+2][j] + 1000 x[i+2][j+2], x[r][c] = 5r + c.
  Tensor x = Iota({1, 1, 5, 5});
  Tensor w = F({1, 1, 2, 2}, {1, 10, 100, 1000});
  std::vector<float> want;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      auto at = [](int r, int c) { return static_cast<float>(5 * r + c); };
      want.push_back(at(i, j) + 10 * at(i, j + 2) + 100 * at(i + 2, j) + 1000 * at(i + 2, j + 2));
    }
  }
  ExpectBoth("conv2d", {{"dilation", V{2, 2}}}, {x, w}, F({1, 1, 3, 3}, want));
}

TEST(Conv2dValues, StrideSkipsAndFloors) {
  // H = W = 6, 3x3 ones, stride 2: windows start at 0 and 2 (a third would need row 6..8).
  Tensor x = Iota({1, 1, 6, 6});
  Tensor w = F({1, 1, 3, 3}, std::vector<float>(9, 1.f));
  auto window = [](int r0, int c0) {
    float s = 0;
    for (int r = r0; r < r0 + 3; ++r) {
      for (int c = c0; c < c0 + 3; ++c) s += static_cast<float>(6 * r + c);
    }
    return s;
  };
  ExpectBoth("conv2d", {{"stride", V{2, 2}}}, {x, w},
             F({1, 1, 2, 2}, {window(0, 0), window(0, 2), window(2, 0), window(2, 2)}));
}

TEST(Conv2dValues, GroupsConvolveChannelBlocksSeparately) {
  // Two groups of one input channel and two output channels each; bias per output channel.
  Tensor x = F({1, 2, 1, 1}, {3, 5});
  Tensor w = F({4, 1, 1, 1}, {1, 2, 3, 4});
  Tensor b = F({4}, {0.5f, 0, 0, -1});
  ExpectBoth("conv2d", {{"groups", 2}}, {x, w, b}, F({1, 4, 1, 1}, {3.5f, 6, 15, 19}));
}

TEST(Conv2dValues, PerSidePaddingPadsEachSide) {
  // (top, left, bottom, right) = (1, 0, 0, 2) around a single 5, 1x1 kernel of 2.
  ExpectBoth("conv2d", {{"padding", V{1, 0, 0, 2}}}, {F({1, 1, 1, 1}, {5}), F({1, 1, 1, 1}, {2})},
             F({1, 1, 2, 3}, {0, 0, 0, 10, 0, 0}));
}

TEST(ConvTranspose2dValues, StrideScattersTheInput) {
  // A 1x1 kernel of 1 with stride 2 places the inputs 2 apart; output_padding 1 adds a last
  // row and column that only the bias reaches.
  Tensor x = F({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor w = F({1, 1, 1, 1}, {1});
  ExpectBoth("conv_transpose2d", {{"stride", V{2, 2}}}, {x, w},
             F({1, 1, 3, 3}, {1, 0, 2, 0, 0, 0, 3, 0, 4}));
  ExpectBoth("conv_transpose2d", {{"stride", V{2, 2}}, {"output_padding", V{1, 1}}},
             {x, w, F({1}, {0.5f})},
             F({1, 1, 4, 4}, {1.5f, 0.5f, 2.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 3.5f, 0.5f, 4.5f,
                              0.5f, 0.5f, 0.5f, 0.5f, 0.5f}));
}

TEST(ConvTranspose2dValues, OutputPaddingBeyondTheDilatedKernelGetsOnlyTheBias) {
  // Stride 1, dilation 2, output_padding 1: the output is one row and column larger than any
  // input reaches. y[ih + 2 kh][iw + 2 kw] += x[ih][iw] * w[kh][kw], plus the bias everywhere.
  Tensor x = F({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor w = F({1, 1, 2, 2}, {1, 10, 100, 1000});
  std::vector<float> want(25, 0.25f);
  for (int ih = 0; ih < 2; ++ih) {
    for (int iw = 0; iw < 2; ++iw) {
      for (int kh = 0; kh < 2; ++kh) {
        for (int kw = 0; kw < 2; ++kw) {
          want[static_cast<size_t>((ih + 2 * kh) * 5 + iw + 2 * kw)] +=
              static_cast<float>((2 * ih + iw + 1) * std::pow(10, 2 * kh + kw));
        }
      }
    }
  }
  EXPECT_EQ(want[24], 0.25f);
  ExpectBoth("conv_transpose2d", {{"dilation", V{2, 2}}, {"output_padding", V{1, 1}}},
             {x, w, F({1}, {0.25f})}, F({1, 1, 5, 5}, want));
}

double Dot(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += a.GetAsDouble(i) * b.GetAsDouble(i);
  return s;
}

TEST(ConvTranspose2dValues, IsTheAdjointOfConv2d) {
  // <conv2d(x), y> = <x, conv_transpose2d(y)> with the same weight and geometry, output_padding
  // chosen so the transposed output has x's size.
  struct Geometry {
    Dims x, w;
    V stride, padding, dilation;
    int64_t groups;
  };
  const Geometry cases[] = {
      {{2, 4, 9, 8}, {6, 2, 3, 3}, {2, 3}, {1, 0}, {1, 2}, 2},
      {{1, 3, 11, 7}, {5, 3, 2, 3}, {3, 2}, {2, 1}, {2, 1}, 1},
      {{2, 32, 16, 16}, {64, 32, 3, 3}, {2, 2}, {1, 1}, {1, 1}, 1},
  };
  for (const Geometry& c : cases) {
    AttrMap attrs = {{"stride", c.stride},
                     {"padding", c.padding},
                     {"dilation", c.dilation},
                     {"groups", c.groups}};
    Tensor x = Random(c.x, 1), w = Random(c.w, 2);
    for (const char* backend : {"ref", "cpu"}) {
      SCOPED_TRACE(backend);
      const KernelRegistry& k = KernelRegistry::Global();
      Tensor y = RunKernel(*k.Find("conv2d", DeviceKind::kCPU, DType::kF32, backend), "conv2d",
                           attrs, {x, w}, 1)[0];
      Tensor dy = Random(y.dims(), 3);
      V op(2);
      for (size_t d = 0; d < 2; ++d) {
        const int64_t back = (y.dims()[2 + d] - 1) * c.stride[d] - 2 * c.padding[d] +
                             c.dilation[d] * (c.w[2 + d] - 1) + 1;
        op[d] = c.x[2 + d] - back;
      }
      AttrMap t_attrs = attrs;
      t_attrs["output_padding"] = op;
      Tensor dx = RunKernel(*k.Find("conv_transpose2d", DeviceKind::kCPU, DType::kF32, backend),
                            "conv_transpose2d", t_attrs, {dy, w}, 1)[0];
      ASSERT_EQ(dx.dims(), x.dims());
      const double lhs = Dot(y, dy), rhs = Dot(x, dx);
      EXPECT_NEAR(lhs, rhs, 1e-4 * (std::abs(lhs) + 1));
    }
  }
}

TEST(LinearValues, WeightIsOutByIn) {
  // y = x @ W^T + b: [1, 2] . [3, 4] + 1 = 12, [1, 2] . [5, 6] - 1 = 16.
  ExpectBoth("linear", {}, {F({1, 2}, {1, 2}), F({2, 2}, {3, 4, 5, 6}), F({2}, {1, -1})},
             F({1, 2}, {12, 16}));
}

TEST(MatmulValues, BatchDimsBroadcastAndVectorsArePromoted) {
  // a (2, 1, 1, 2) @ b (3, 2, 1): out[i, j] = a[i] . b[j].
  Tensor a = F({2, 1, 1, 2}, {1, 2, 3, 4});
  Tensor b = F({3, 2, 1}, {1, 0, 0, 1, 1, 1});
  ExpectBoth("matmul", {}, {a, b}, F({2, 3, 1, 1}, {1, 2, 3, 3, 4, 7}));
  // vector @ matrix drops the promoted dim: (2) @ (2, 3) -> (3).
  ExpectBoth("matmul", {}, {F({2}, {1, 2}), F({2, 3}, {1, 2, 3, 4, 5, 6})}, F({3}, {9, 12, 15}));
}

TEST(MatmulValues, TransposeFlagsSwapTheLastTwoDims) {
  // a stored (..., K, M) with transpose_a: a^T = [[1, 3], [2, 4]]; b stored (N, K) with
  // transpose_b: b^T = [[5, 7], [6, 8]].
  const Tensor a = F({2, 2}, {1, 2, 3, 4}), b = F({2, 2}, {5, 6, 7, 8});
  ExpectBoth("matmul", {{"transpose_a", 1}}, {a, b}, F({2, 2}, {26, 30, 38, 44}));
  ExpectBoth("matmul", {{"transpose_b", 1}}, {a, b}, F({2, 2}, {17, 23, 39, 53}));
  ExpectBoth("matmul", {{"transpose_a", 1}, {"transpose_b", 1}}, {a, b},
             F({2, 2}, {23, 31, 34, 46}));
  // A batched (2, 3, 1) a transposed is (2, 1, 3), times b (3, 2) broadcast.
  ExpectBoth("matmul", {{"transpose_a", 1}},
             {F({2, 3, 1}, {1, 2, 3, 4, 5, 6}), F({3, 2}, {1, 0, 0, 1, 1, 1})},
             F({2, 1, 2}, {4, 5, 10, 11}));
  EXPECT_EQ(Infer("matmul", {{"transpose_a", 1}}, {T32({Dim::Symbol("N"), 8, 3}), T32({8, 5})}),
            (Shape{Dim::Symbol("N"), 3, 5}));
}

TEST(MatmulValues, UnsetTransposeFlagsStayOffTheNodeAndTheTextIR) {
  Graph g("g");
  GraphBuilder b(g);
  Value x = b.Placeholder("x", DType::kF32, Shape{Dim::Symbol("N"), 3});
  Value w = b.Placeholder("w", DType::kF32, {3, 2});
  Value plain = b.Op1("matmul", {x, w}, {}, "plain");
  Value zeros = b.Op1("matmul", {x, w}, {{"transpose_a", 0}, {"transpose_b", 0}}, "zeros");
  Value t = b.Op1("matmul", {x, x}, {{"transpose_a", 1}}, "t");
  b.Output("plain", plain);
  b.Output("zeros", zeros);
  b.Output("t", t);
  const std::string text = PrintGraph(g);
  EXPECT_NE(text.find("%plain = matmul(%x, %w) : f32[N, 2]"), std::string::npos) << text;
  EXPECT_NE(text.find("%zeros = matmul(%x, %w) : f32[N, 2]"), std::string::npos) << text;
  EXPECT_NE(text.find("%t = matmul(%x, %x) {transpose_a = 1} : f32[3, 3]"), std::string::npos)
      << text;
  Graph parsed = ParseGraph(text);
  EXPECT_EQ(PrintGraph(parsed), text);
}

// --- the oneDNN layer ---

using onednn::Activation;
using onednn::Epilogue;

double Act(Activation a, double v) {
  switch (a) {
    case Activation::kNone: return v;
    case Activation::kRelu: return v > 0 ? v : 0;
    case Activation::kGeluErf: return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    case Activation::kGeluTanh:
      return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
    case Activation::kSigmoid: return 1 / (1 + std::exp(-v));
    case Activation::kTanh: return std::tanh(v);
  }
  return v;
}

// What the epilogue must produce from the plain product `acc` (channel of element i: col(i)).
template <typename Col>
Tensor Expected(const Tensor& acc, const Epilogue& e, const Tensor& bias, const Tensor& residual,
                Col col) {
  Tensor out = Tensor::Empty(DType::kF32, acc.dims());
  for (int64_t i = 0; i < acc.numel(); ++i) {
    double v = acc.GetAsDouble(i) + (e.bias ? bias.GetAsDouble(col(i)) : 0.0);
    if (e.residual && e.residual_before_activation) v += residual.GetAsDouble(i);
    v = Act(e.activation, v);
    if (e.residual && !e.residual_before_activation) v += residual.GetAsDouble(i);
    out.data<float>()[i] = static_cast<float>(v);
  }
  return out;
}

std::vector<Epilogue> AllEpilogues() {
  std::vector<Epilogue> all;
  for (Activation a : {Activation::kNone, Activation::kRelu, Activation::kGeluErf,
                       Activation::kGeluTanh, Activation::kSigmoid, Activation::kTanh}) {
    all.push_back({true, a, false, false});
    all.push_back({true, a, true, false});
    all.push_back({false, a, true, true});
  }
  return all;
}

std::string Describe(const Epilogue& e) {
  return std::string(onednn::ActivationName(e.activation)) + (e.bias ? " +bias" : "") +
         (e.residual ? (e.residual_before_activation ? " residual-before" : " residual-after")
                     : "");
}

// Runs `fn(ctx)` with `threads` threads inside a ThreadPool.
template <typename Fn>
void WithThreads(int threads, Fn fn) {
  ThreadPool pool(threads);
  ExecContext ctx = pool.context();
  pool.Run([&] { fn(ctx); });
}

bool Bitwise(const Tensor& a, const Tensor& b) {
  return a.dims() == b.dims() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

TEST(OneDnnEpilogue, GemmMatchesTheReferencePlusTheFormulas) {
  // A product cut into several chunks; a batch of small products grouped into one batched
  // primitive; a transposed b (linear's weight); a transposed a (a weight gradient dy^T x), alone
  // and with b transposed, cut into chunks and batched.
  struct Case {
    int64_t batch, m, k, n;
    bool b_transposed, a_transposed;
    bool constant_b = false;  // b packed once (GemmShape::constant_b), shared by row blocks
  };
  // Then the small-M kernels (kernels/cpu/gemv.h, M <= 4): b^T and b, k and n off the vector
  // and 4-row multiples, cut into column chunks (>= 128 KiB of b each) or batched; and the same
  // kernels on row blocks for few columns (n <= 16, b^T), with M not a multiple of 4.
  for (const Case& c :
       {Case{1, 96, 200, 160, false, false}, Case{6, 8, 16, 12, false, false},
        Case{1, 40, 24, 32, true, false}, Case{1, 96, 200, 160, false, true},
        Case{6, 8, 16, 12, true, true}, Case{1, 1, 301, 250, true, false},
        Case{1, 3, 301, 250, false, false}, Case{1, 4, 37, 7, true, false},
        Case{1, 2, 5, 35, false, false}, Case{5, 2, 40, 24, true, false},
        Case{1, 1, 4000, 10, true, false}, Case{1, 32, 300, 10, true, false},
        Case{3, 9, 40, 5, true, false},
        // Constant weights, packed once: linear's b^T and a plain b, cut into row blocks.
        Case{1, 300, 200, 260, true, false, true}, Case{1, 200, 120, 160, false, false, true}}) {
    SCOPED_TRACE("batch " + std::to_string(c.batch) + (c.b_transposed ? " b^T" : "") +
                 (c.a_transposed ? " a^T" : ""));
    Tensor a = Random({c.batch, c.m, c.k}, 1), b = Random({c.batch, c.k, c.n}, 2);
    Tensor bias = Random({c.n}, 3), res = Random({c.batch, c.m, c.n}, 4);
    const KernelEntry* ref =
        KernelRegistry::Global().Find("matmul", DeviceKind::kCPU, DType::kF32, "ref");
    Tensor acc = RunKernel(*ref, "matmul", {}, {a, b}, 1)[0];
    // What the Gemm reads: each matrix (r, c) of `t` stored transposed (c, r).
    auto transposed = [&](const Tensor& t, int64_t rows, int64_t cols) {
      Tensor out = Tensor::Empty(DType::kF32, {c.batch, cols, rows});
      for (int64_t i = 0; i < c.batch; ++i) {
        for (int64_t p = 0; p < rows; ++p) {
          for (int64_t q = 0; q < cols; ++q) {
            out.data<float>()[(i * cols + q) * rows + p] =
                t.data<float>()[(i * rows + p) * cols + q];
          }
        }
      }
      return out;
    };
    const Tensor a_arg = c.a_transposed ? transposed(a, c.m, c.k) : a;
    const Tensor b_arg = c.b_transposed ? transposed(b, c.k, c.n) : b;
    onednn::GemmShape shape;
    shape.m = c.m;
    shape.k = c.k;
    shape.n = c.n;
    shape.a_transposed = c.a_transposed;
    shape.b_transposed = c.b_transposed;
    shape.constant_b = c.constant_b;
    for (int64_t i = 0; c.batch > 1 && i < c.batch; ++i) {
      shape.a_offsets.push_back(i * c.m * c.k);
      shape.b_offsets.push_back(i * c.k * c.n);
    }
    for (const Epilogue& e : AllEpilogues()) {
      SCOPED_TRACE(Describe(e));
      onednn::Gemm gemm(shape, e);
      EXPECT_EQ(gemm.packs_b(), c.constant_b);
      if (c.constant_b) {
        EXPECT_GT(gemm.chunks(), 1);
      }
      Tensor one = Tensor::Empty(DType::kF32, acc.dims()),
             two = Tensor::Empty(DType::kF32, acc.dims());
      for (auto [threads, out] : {std::pair{1, &one}, std::pair{2, &two}}) {
        WithThreads(threads, [&](const ExecContext& ctx) {
          gemm.Run(ctx, a_arg.data<float>(), b_arg.data<float>(), bias.data<float>(),
                   res.data<float>(), out->data<float>(), &b_arg);
        });
      }
      const int64_t n = c.n;
      EXPECT_EQ(
          Compare(one, Expected(acc, e, bias, res, [n](int64_t i) { return i % n; }), 1e-4, 1e-4),
          "");
      EXPECT_TRUE(Bitwise(one, two));
    }
  }
}

// conv2d's attributes with explicit padding.
AttrMap ConvAttrs(const V& stride, const V& padding, const V& dilation = {1, 1},
                  int64_t groups = 1) {
  return {{"stride", stride},
          {"padding", padding},
          {"dilation", dilation},
          {"groups", groups},
          {"auto_pad", "explicit"}};
}

// A conv2d problem: random input, weight, bias and residual, the reference kernel's plain
// product and the geometry.
struct ConvProblem {
  Tensor x, w, bias, acc, res;
  ops::ConvGeometry g;

  // `seed` picks other values of the same shapes.
  ConvProblem(const AttrMap& attrs, const Dims& xd, const Dims& wd, uint32_t seed = 0)
      : x(Random(xd, 1 + 4 * seed)),
        w(Random(wd, 2 + 4 * seed)),
        bias(Random({wd[0]}, 3 + 4 * seed)) {
    const KernelEntry* ref =
        KernelRegistry::Global().Find("conv2d", DeviceKind::kCPU, DType::kF32, "ref");
    acc = RunKernel(*ref, "conv2d", attrs, {x, w}, 1)[0];
    res = Random(acc.dims(), 4 + 4 * seed);
    g = ops::Conv2dGeometry(attrs, xd, wd);
  }
  // What a convolution with epilogue e must produce.
  Tensor Want(const Epilogue& e) const {
    const int64_t hw = g.out[0] * g.out[1], c_out = g.c_out;
    return Expected(acc, e, bias, res, [hw, c_out](int64_t i) { return i / hw % c_out; });
  }
};

// Runs `conv` (a Convolution, DirectConvolution or Im2colConvolution) on p with 1 and 2 threads;
// the results must match p.Want(e) and each other bit for bit.
template <typename Conv>
void ExpectConvolution(const Conv& conv, const ConvProblem& p, const Epilogue& e) {
  Tensor one = Tensor::Empty(DType::kF32, p.acc.dims()),
         two = Tensor::Empty(DType::kF32, p.acc.dims());
  for (int threads : {1, 2}) {
    float* out = (threads == 1 ? one : two).data<float>();
    WithThreads(threads, [&](const ExecContext& ctx) {
      conv.Run(ctx, p.x.data<float>(), p.w.data<float>(), p.bias.data<float>(),
               p.res.data<float>(), out);
    });
  }
  EXPECT_EQ(Compare(one, p.Want(e), 1e-4, 1e-4), "");
  EXPECT_TRUE(Bitwise(one, two));
}

TEST(OneDnnEpilogue, ConvolutionMatchesTheReferencePlusTheFormulas) {
  // A 3x3 convolution, and a strided 1x1 one (a GEMM on the NCHW tensors when the epilogue is
  // at most a bias, a primitive otherwise).
  // Then convolutions that run as im2col + GEMM (kernels/cpu/conv_im2col.h): few input channels,
  // strides 1, 2 and 3, padding wider than the kernel reach, dilation, and a small image at batch 1.
  struct Geometry {
    Dims x, w;
    V stride, padding;
    V dilation = {1, 1};
    bool im2col = false;  // Im2colConvolution::Preferred
    bool direct = false;  // DirectConvolution::Preferred (checked first: it runs when true)
  };
  // Convolutions with at most 288 taps per output and >= 8 output channels run as direct
  // convolutions (kernels/cpu/conv_direct.h; tested on their own below).
  for (const Geometry& c :
       {Geometry{{2, 16, 24, 24}, {32, 16, 3, 3}, {1, 1}, {1, 1}, {1, 1}, false, true},
        Geometry{{2, 64, 12, 10}, {32, 64, 3, 3}, {1, 1}, {1, 1}},
        Geometry{{8, 64, 24, 20}, {80, 64, 1, 1}, {2, 3}, {0, 0}, {1, 1}, false, true},
        Geometry{{2, 3, 17, 15}, {8, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1}, true, true},
        Geometry{{1, 3, 19, 21}, {5, 3, 3, 5}, {2, 3}, {3, 2}, {2, 1}, true},
        Geometry{{3, 2, 9, 40}, {4, 2, 2, 3}, {2, 2}, {0, 1}, {1, 1}, true},
        Geometry{{1, 32, 12, 12}, {16, 32, 3, 3}, {2, 2}, {1, 1}, {1, 1}, true, true},
        // Rows of a vector or more (the vectorized gather of cpu::Im2colRow), padding masked at
        // both ends, loads cut short at the start and the end of the input tensor.
        Geometry{{1, 3, 32, 32}, {8, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1}, true, true},
        Geometry{{2, 4, 20, 36}, {6, 4, 3, 3}, {2, 2}, {1, 1}, {1, 1}, true}}) {
    const ConvProblem p(ConvAttrs(c.stride, c.padding, c.dilation), c.x, c.w);
    EXPECT_EQ(onednn::Im2colConvolution::Preferred(p.g), c.im2col);
    EXPECT_EQ(onednn::DirectConvolution::Preferred(p.g), c.direct);
    for (const Epilogue& e : AllEpilogues()) {
      SCOPED_TRACE(Describe(e) + " kernel " + std::to_string(c.w[2]));
      ExpectConvolution(onednn::Convolution(p.g, false, e), p, e);
    }
  }
}

TEST(OneDnnEpilogue, SmallImageConvolutionsMatchTheReferencePlusTheFormulas) {
  // The direct convolution and im2col + GEMM run on their own, whatever Preferred says: W3's
  // two layers (2 column vectors per row; stride 2 with taps in several blocks of input
  // channels, so the tiles accumulate onto the output); output channels and pixel vectors that
  // are no multiple of the tile (overlapping tiles), fewer channels than a tile; stride 3 (the
  // gather element by element) with dilation; rows no multiple of a vector (masked stores and
  // loads); a 1x1 kernel; padding wider than the kernel reach (rows and columns only padding);
  // and a batch cut into runs of rows. On every Highway target this machine supports (down to
  // SSSE3's 4 lanes, where rows hold more vectors and other tile shapes run). Both kinds of
  // direct tiles run each: pixel vectors and channel vectors (for those, also output channels
  // in several blocks of packed weights, the last one narrower (80 and 48 channels), pixels
  // whose taps all fall in the padding, and pixel counts no multiple of the 16 x 16
  // transposition).
  struct Geometry {
    Dims x, w;
    V stride, padding;
    V dilation = {1, 1};
  };
  const Geometry geometries[] = {
      {{1, 3, 32, 32}, {32, 3, 3, 3}, {1, 1}, {1, 1}},
      {{2, 32, 32, 32}, {64, 32, 3, 3}, {2, 2}, {1, 1}},
      {{1, 5, 17, 15}, {10, 5, 3, 5}, {2, 3}, {3, 2}, {2, 1}},
      {{3, 2, 9, 40}, {4, 2, 2, 3}, {2, 2}, {0, 1}},
      {{1, 4, 6, 6}, {8, 4, 3, 3}, {1, 1}, {1, 1}},
      {{2, 3, 5, 70}, {9, 3, 1, 1}, {1, 1}, {0, 0}},
      {{1, 2, 4, 4}, {8, 2, 3, 3}, {1, 1}, {4, 4}},
      {{1, 16, 12, 12}, {12, 16, 3, 3}, {1, 1}, {1, 1}},
      {{4, 7, 11, 19}, {13, 7, 3, 3}, {2, 1}, {1, 2}, {1, 2}},
      {{2, 20, 9, 11}, {80, 20, 3, 3}, {1, 1}, {1, 1}},
      {{1, 16, 7, 9}, {48, 16, 3, 3}, {2, 2}, {1, 1}}};
  std::string tested;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(std::string("target ") + hwy::TargetName(target));
    tested += std::string(tested.empty() ? "" : " ") + hwy::TargetName(target);
    hwy::SetSupportedTargetsForTest(target);
    for (const Geometry& c : geometries) {
      SCOPED_TRACE("input " + DimsToString(c.x) + " weight " + DimsToString(c.w));
      const ConvProblem p(ConvAttrs(c.stride, c.padding, c.dilation), c.x, c.w);
      ASSERT_TRUE(onednn::DirectConvolution::Supported(p.g));
      for (const Epilogue& e : AllEpilogues()) {
        SCOPED_TRACE(Describe(e));
        for (const auto v : {onednn::DirectConvolution::Vectors::kPixels,
                             onednn::DirectConvolution::Vectors::kChannels}) {
          SCOPED_TRACE(v == onednn::DirectConvolution::Vectors::kPixels
                           ? "direct, pixel vectors"
                           : "direct, channel vectors");
          ExpectConvolution(onednn::DirectConvolution(p.g, e, v), p, e);
        }
        {
          SCOPED_TRACE("im2col");
          ExpectConvolution(onednn::Im2colConvolution(p.g, e), p, e);
        }
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  RecordProperty("targets", tested);
  // Preferred: a first layer at any batch; a larger image only at small batch (its rule).
  const AttrMap s2 = ConvAttrs({2, 2}, {1, 1}), stem = ConvAttrs({2, 2}, {3, 3});
  EXPECT_TRUE(onednn::DirectConvolution::Preferred(
      ops::Conv2dGeometry(stem, {8, 3, 224, 224}, {64, 3, 7, 7})));
  EXPECT_TRUE(onednn::DirectConvolution::Preferred(
      ops::Conv2dGeometry(s2, {32, 32, 32, 32}, {64, 32, 3, 3})));
  EXPECT_TRUE(onednn::DirectConvolution::Preferred(
      ops::Conv2dGeometry(s2, {1, 32, 56, 56}, {64, 32, 3, 3})));
  EXPECT_FALSE(onednn::DirectConvolution::Preferred(
      ops::Conv2dGeometry(s2, {8, 32, 56, 56}, {64, 32, 3, 3})));
  EXPECT_FALSE(onednn::DirectConvolution::Preferred(
      ops::Conv2dGeometry(s2, {1, 64, 56, 56}, {64, 64, 3, 3})));
  // Channel vectors: on AVX-512 only, for >= 16 input channels and output channels in whole
  // vectors, with constant weights or a batch of 4 or more.
  using Vectors = onednn::DirectConvolution::Vectors;
  const bool avx512 = (hwy::SupportedTargets() & HWY_AVX3) != 0;
  const Vectors wide = avx512 ? Vectors::kChannels : Vectors::kPixels;
  const auto choose = [](const AttrMap& a, const Dims& x, const Dims& w, bool constant_w) {
    return onednn::DirectConvolution::Choose(ops::Conv2dGeometry(a, x, w), constant_w);
  };
  EXPECT_EQ(choose(s2, {32, 32, 32, 32}, {64, 32, 3, 3}, false), wide);
  EXPECT_EQ(choose(s2, {1, 32, 32, 32}, {64, 32, 3, 3}, true), wide);
  EXPECT_EQ(choose(s2, {4, 16, 32, 32}, {32, 16, 3, 3}, false), wide);
  EXPECT_EQ(choose(s2, {1, 32, 32, 32}, {64, 32, 3, 3}, false), Vectors::kPixels);
  EXPECT_EQ(choose(s2, {32, 8, 32, 32}, {64, 8, 3, 3}, true), Vectors::kPixels);
  EXPECT_EQ(choose(s2, {32, 32, 32, 32}, {40, 32, 3, 3}, true), Vectors::kPixels);
  EXPECT_EQ(choose(s2, {32, 32, 32, 32}, {16, 32, 3, 3}, true), Vectors::kPixels);
  // Grouped convolutions are not the direct convolution's.
  EXPECT_FALSE(onednn::DirectConvolution::Supported(
      ops::Conv2dGeometry(ConvAttrs({1, 1}, {1, 1}, {1, 1}, 2), {1, 4, 8, 8}, {8, 2, 3, 3})));
}

TEST(OneDnnEpilogue, DirectConvolutionRepacksConstantWeightsForEachStorage) {
  // Channel vectors pack constant weights once and keep them while the weight tensor's storage
  // stays the same: other weights (another storage) at the same convolution are packed anew, and
  // so are the first ones again after them.
  const AttrMap attrs = ConvAttrs({2, 2}, {1, 1});
  const ConvProblem a(attrs, {2, 32, 12, 12}, {32, 32, 3, 3}),
      b(attrs, {2, 32, 12, 12}, {32, 32, 3, 3}, 1);
  Epilogue e;
  e.bias = true;
  e.activation = Activation::kRelu;
  const onednn::DirectConvolution conv(a.g, e, onednn::DirectConvolution::Vectors::kChannels);
  for (const ConvProblem* p : {&a, &a, &b, &a}) {
    Tensor y = Tensor::Empty(DType::kF32, p->acc.dims());
    WithThreads(2, [&](const ExecContext& ctx) {
      conv.Run(ctx, p->x.data<float>(), p->w.data<float>(), p->bias.data<float>(), nullptr,
               y.data<float>(), &p->w);
    });
    EXPECT_EQ(Compare(y, p->Want(e), 1e-4, 1e-4), "")
        << (p == &a ? "first" : "second") << " weights";
  }
}

TEST(OneDnnEpilogue, TransposedConvolutionFillsUnreachedOutputWithTheEpilogue) {
  // Stride 1, dilation 2, output_padding 1: the last row and column get act(bias) (+ residual).
  const Dims xd = {1, 3, 4, 4}, wd = {3, 2, 2, 2};
  AttrMap attrs = {{"stride", V{1, 1}},
                   {"padding", V{0, 0}},
                   {"dilation", V{2, 2}},
                   {"groups", 1},
                   {"output_padding", V{1, 1}}};
  Tensor x = Random(xd, 1), w = Random(wd, 2), bias = Random({2}, 3);
  const KernelEntry* ref =
      KernelRegistry::Global().Find("conv_transpose2d", DeviceKind::kCPU, DType::kF32, "ref");
  Tensor acc = RunKernel(*ref, "conv_transpose2d", attrs, {x, w}, 1)[0];
  Tensor res = Random(acc.dims(), 4);
  const ops::ConvGeometry g = ops::ConvTranspose2dGeometry(attrs, xd, wd);
  const int64_t hw = g.out[0] * g.out[1];
  for (const Epilogue& e : AllEpilogues()) {
    SCOPED_TRACE(Describe(e));
    onednn::Convolution conv(g, true, e);
    Tensor out = Tensor::Empty(DType::kF32, acc.dims());
    WithThreads(2, [&](const ExecContext& ctx) {
      conv.Run(ctx, x.data<float>(), w.data<float>(), bias.data<float>(), res.data<float>(),
               out.data<float>());
    });
    EXPECT_EQ(Compare(out, Expected(acc, e, bias, res, [hw](int64_t i) { return i / hw % 2; }),
                      1e-4, 1e-4),
              "");
  }
}

TEST(OneDnn, LargeProblemsAreCutIntoSeveralChunks) {
  onednn::GemmShape big;
  big.m = big.k = big.n = 1024;
  EXPECT_GE(onednn::Gemm(big, {}).chunks(), 2);
  onednn::GemmShape row;  // M = 1: split along N
  row.m = 1;
  row.k = row.n = 1024;
  EXPECT_GE(onednn::Gemm(row, {}).chunks(), 2);
  AttrMap attrs = {{"stride", V{1, 1}},
                   {"padding", V{1, 1}},
                   {"dilation", V{1, 1}},
                   {"groups", 1},
                   {"auto_pad", "explicit"}};
  // One image: output-channel blocks.
  EXPECT_GE(
      onednn::Convolution(ops::Conv2dGeometry(attrs, {1, 64, 56, 56}, {64, 64, 3, 3}), false, {})
          .chunks(),
      2);
  EXPECT_GE(
      onednn::Convolution(ops::Conv2dGeometry(attrs, {8, 64, 56, 56}, {64, 64, 3, 3}), false, {})
          .chunks(),
      2);
  // The weight gradient: output-channel blocks for one image, image blocks for a batch.
  EXPECT_GE(onednn::ConvolutionBackwardWeights(
                ops::Conv2dGeometry(attrs, {1, 64, 56, 56}, {64, 64, 3, 3}))
                .chunks(),
            2);
  EXPECT_GE(onednn::ConvolutionBackwardWeights(
                ops::Conv2dGeometry(attrs, {8, 64, 56, 56}, {64, 64, 3, 3}))
                .chunks(),
            2);
}

TEST(OneDnn, ABoundKernelRunsFromSeveralThreadsAtOnce) {
  for (const char* op : {"matmul", "conv2d"}) {
    SCOPED_TRACE(op);
    std::vector<Tensor> in;
    AttrMap attrs;
    if (std::string(op) == "matmul") {
      in = {Random({300, 200}, 1), Random({200, 250}, 2)};
    } else {
      in = {Random({2, 16, 20, 20}, 1), Random({32, 16, 3, 3}, 2)};
      attrs = {{"padding", V{1, 1}}};
    }
    const OpSchema& schema = OpRegistry::Global().Get(op);
    AttrMap resolved = ResolveAttributes(schema, attrs);
    std::vector<TensorType> in_types = {{DType::kF32, Shape::FromDims(in[0].dims())},
                                        {DType::kF32, Shape::FromDims(in[1].dims())}};
    std::vector<TensorType> out_types = InferOutputTypes(schema, resolved, in_types, "n", "");
    const KernelEntry* e = KernelRegistry::Global().Find(op, DeviceKind::kCPU, DType::kF32, "cpu");
    std::unique_ptr<Kernel> kernel =
        e->factory(KernelSignature{op, resolved, in_types, out_types, Device::CPU()});
    auto run = [&](int threads) {
      std::vector<Tensor> out = {Tensor::Empty(DType::kF32, out_types[0].shape.static_dims())};
      ThreadPool pool(threads);
      ExecContext ctx = pool.context();
      pool.Run([&] { kernel->Run(in, out, ctx); });
      return out[0];
    };
    const Tensor want = run(1);
    std::vector<Tensor> got(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < got.size(); ++t) {
      threads.emplace_back([&, t] {
        for (int rep = 0; rep < 3; ++rep) got[t] = run(t % 2 ? 2 : 1);
      });
    }
    for (std::thread& t : threads) t.join();
    for (const Tensor& g : got) EXPECT_TRUE(Bitwise(g, want));
  }
}

TEST(OneDnn, KeepsOpenMPSingleThreadedOnTheCallingThread) {
  omp_set_num_threads(2);
  onednn::GemmShape s;
  s.m = s.k = s.n = 64;
  onednn::Gemm gemm(s, {});
  EXPECT_EQ(omp_get_max_threads(), 1);
  omp_set_num_threads(2);
  Tensor a = Random({64, 64}, 1), b = Random({64, 64}, 2), c = Tensor::Empty(DType::kF32, {64, 64});
  ExecContext ctx;
  gemm.Run(ctx, a.data<float>(), b.data<float>(), nullptr, nullptr, c.data<float>());
  EXPECT_EQ(omp_get_max_threads(), 1);
}

}  // namespace
}  // namespace bronze::testing
