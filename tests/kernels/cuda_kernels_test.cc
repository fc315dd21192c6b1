// CUDA kernels against the reference kernels: relu and exp (f32, f64) run through a Session on
// cuda:0 and compared with the same graph on the CPU "ref" backend, including sizes that need
// the grid-stride loop, and device-resident parameters and constants. Skips with the reason when
// the build has no CUDA or the machine has no GPU; compiles either way.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "graph/builder.h"
#include "runtime/session.h"

namespace bronze {
namespace {

// Empty when cuda:0 can be used, else why not.
std::string NoGpuReason() {
#ifndef BRONZE_WITH_CUDA
  return "bronze was built without CUDA (BRONZE_WITH_CUDA is not defined)";
#else
  try {
    if (GetDeviceInterface(Device::CUDA()).DeviceCount() > 0) return "";
    return "the CUDA runtime reports no device";
  } catch (const Error& e) {
    return std::string("no usable CUDA device: ") + e.what();
  }
#endif
}

#define SKIP_WITHOUT_GPU()                 \
  do {                                     \
    std::string why = NoGpuReason();       \
    if (!why.empty()) GTEST_SKIP() << why; \
  } while (0)

Session MakeSession(const Graph& g, Device device, const std::string& backend) {
  SessionOptions options;
  options.device = device;
  options.threads = 1;
  options.backend = backend;
  return Session(g, options);
}

template <typename T>
Tensor RandomInput(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-20, 20);
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) x = static_cast<T>(dist(rng));
  const T specials[] = {T(0),
                        -T(0),
                        T(-1e-30),
                        T(100),
                        T(-100),
                        std::numeric_limits<T>::infinity(),
                        -std::numeric_limits<T>::infinity()};
  for (size_t i = 0; i < v.size() && i < std::size(specials); ++i) v[i] = specials[i];
  return Tensor::FromVector<T>({n}, v);
}

// relu must match bit for bit; exp within a few ulps (CUDA's exp and expf are not correctly
// rounded).
template <typename T>
void CompareWithRef(const std::string& op, int64_t n, uint32_t seed) {
  Graph g("cuda_vs_ref");
  GraphBuilder b(g);
  b.Output("y", b.Op1(op, {b.Placeholder("x", DTypeOf<T>::value, {n})}, {}, op));
  Session gpu = MakeSession(g, Device::CUDA(0), "cuda");
  Session ref = MakeSession(g, Device::CPU(), "ref");
  Tensor x = RandomInput<T>(n, seed);
  Tensor want = ref.Run({x})[0];
  Tensor got_dev = gpu.Run({x.To(Device::CUDA(0))})[0];
  ASSERT_EQ(got_dev.device(), Device::CUDA(0));
  Tensor got = got_dev.To(Device::CPU());
  ASSERT_EQ(got.dtype(), want.dtype());
  ASSERT_EQ(got.dims(), want.dims());
  const T* pg = got.data<T>();
  const T* pw = want.data<T>();
  for (int64_t i = 0; i < n; ++i) {
    if (op == "relu") {
      ASSERT_EQ(std::memcmp(pg + i, pw + i, sizeof(T)), 0)
          << "relu at " << i << " of " << n << ": " << pg[i] << " vs " << pw[i];
    } else if (!std::isfinite(pw[i])) {
      ASSERT_EQ(pg[i], pw[i]) << op << " at " << i << " of " << n << ", x = " << x.data<T>()[i];
    } else {
      // Relative in the normal range, a few subnormal steps below it.
      const T tol = 4 * std::numeric_limits<T>::epsilon() * std::abs(pw[i]) +
                    4 * std::numeric_limits<T>::denorm_min();
      ASSERT_NEAR(pg[i], pw[i], tol)
          << op << " at " << i << " of " << n << ", x = " << x.data<T>()[i];
    }
  }
}

TEST(CudaKernels, ReluF32AndF64MatchTheReferenceBitForBit) {
  SKIP_WITHOUT_GPU();
  for (int64_t n : {0, 1, 255, 256, 257, 100003}) {
    CompareWithRef<float>("relu", n, 1);
    CompareWithRef<double>("relu", n, 2);
  }
}

TEST(CudaKernels, ExpF32AndF64MatchTheReferenceWithinFourUlps) {
  SKIP_WITHOUT_GPU();
  for (int64_t n : {0, 1, 255, 256, 257, 100003}) {
    CompareWithRef<float>("exp", n, 3);
    CompareWithRef<double>("exp", n, 4);
  }
}

TEST(CudaKernels, ReluCoversInputsLargerThanOneGridPass) {
  SKIP_WITHOUT_GPU();
  // The launch caps the grid at 65535 blocks of 256 threads; past that the grid-stride loop
  // must cover the rest.
  CompareWithRef<float>("relu", int64_t{65535} * 256 + 4099, 5);
}

TEST(CudaKernels, ParametersAndConstantsAreReadFromDeviceMemory) {
  SKIP_WITHOUT_GPU();
  Graph g("device_sources");
  GraphBuilder b(g);
  std::vector<float> pv = {-1.5f, 2.0f, -0.0f, 3.25f}, cv = {0.5f, -4.0f, 1.0f, -2.0f};
  b.Output("p", b.Op1("relu", {b.Parameter("w", Tensor::FromVector<float>({4}, pv))}));
  b.Output("c", b.Op1("exp", {b.Constant(Tensor::FromVector<float>({4}, cv), "c")}));
  Session gpu = MakeSession(g, Device::CUDA(0), "cuda");
  std::vector<Tensor> out = gpu.Run(std::vector<Tensor>{});
  ASSERT_EQ(out.size(), 2u);
  Tensor p = out[0].To(Device::CPU()), c = out[1].To(Device::CPU());
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(p.data<float>()[i], pv[i] > 0 ? pv[i] : 0.0f) << i;
    EXPECT_NEAR(c.data<float>()[i], std::exp(cv[i]), 4e-7f * std::exp(cv[i])) << i;
  }
}

TEST(CudaKernels, HostInputToACudaSessionIsRejected) {
  SKIP_WITHOUT_GPU();
  Graph g("placement");
  GraphBuilder b(g);
  b.Output("y", b.Op1("relu", {b.Placeholder("x", DType::kF32, {3})}));
  Session gpu = MakeSession(g, Device::CUDA(0), "cuda");
  try {
    gpu.Run({Tensor::FromVector<float>({3}, {1, 2, 3})});
    FAIL() << "a host tensor was accepted by a cuda:0 session";
  } catch (const InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("input 'x' is on cpu, the session runs on cuda:0"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bronze
