// Naive oracles for tests/kernels/ref_kernels_test.cc: index arithmetic written independently of
// kernels/ref (unravel, ravel with broadcasting, broadcast shapes), seeded random inputs, running
// one op through a Session on the "ref" backend, and comparing with a tolerance per element.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "graph/builder.h"
#include "runtime/session.h"

namespace bronze::naive {

// ---- independent index arithmetic -----------------------------------------------------------

inline int64_t Count(const Dims& d) {
  return std::accumulate(d.begin(), d.end(), int64_t{1}, std::multiplies<>());
}

// The row-major multi-index of flat index `i` in `d`.
inline Dims Unravel(int64_t i, const Dims& d) {
  Dims idx(d.size(), 0);
  for (size_t k = d.size(); k-- > 0;) {
    idx[k] = i % d[k];
    i /= d[k];
  }
  return idx;
}

// The flat index in `d` read at the right-aligned tail of `idx` (size-1 dims broadcast).
inline int64_t Ravel(const Dims& idx, const Dims& d) {
  int64_t flat = 0;
  const size_t shift = idx.size() - d.size();
  for (size_t k = 0; k < d.size(); ++k) flat = flat * d[k] + (d[k] == 1 ? 0 : idx[k + shift]);
  return flat;
}

inline Dims Broadcast(const Dims& a, const Dims& b) {
  const size_t r = std::max(a.size(), b.size());
  Dims out(r);
  for (size_t k = 0; k < r; ++k) {
    int64_t da = k + a.size() >= r ? a[k + a.size() - r] : 1;
    int64_t db = k + b.size() >= r ? b[k + b.size() - r] : 1;
    out[k] = da == 1 ? db : da;
  }
  return out;
}

// ---- inputs, running one op, comparing ------------------------------------------------------

template <typename T>
std::vector<T> Random(int64_t n, std::mt19937& rng, bool nonzero = false) {
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) {
    if constexpr (std::is_floating_point_v<T>) {
      x = static_cast<T>(std::uniform_real_distribution<double>(-3, 3)(rng));
      if (nonzero && std::abs(x) < T(0.25)) x = T(0.5);
    } else {
      x = static_cast<T>(std::uniform_int_distribution<int>(-40, 40)(rng));
      if (nonzero && x == 0) x = T(-3);
    }
  }
  return v;
}

// Builds "y = op(in0, in1, ...)" with static placeholders and runs it on the ref kernels.
inline Tensor RunOp(const std::string& op, const std::vector<Tensor>& inputs, AttrMap attrs = {},
                    const std::string& location = "") {
  Graph g("ref_test");
  GraphBuilder b(g);
  std::vector<Value> in;
  for (size_t k = 0; k < inputs.size(); ++k) {
    in.push_back(b.Placeholder("in" + std::to_string(k), inputs[k].dtype(),
                               Shape::FromDims(inputs[k].dims())));
  }
  b.SetLocation(location);
  b.Output("y", b.Op1(op, in, std::move(attrs), op));
  SessionOptions options;
  options.threads = 1;
  options.backend = "ref";
  Session session(std::move(g), options);
  std::vector<Tensor> out = session.Run(inputs);
  EXPECT_EQ(out.size(), 1u);
  return out.at(0);
}

// Integers compare exactly; floats within `rel` of scale[i] (the sum of the magnitudes of the
// terms that made element i, so accumulation order may differ from the naive loop).
template <typename T>
void ExpectMatches(const Tensor& got, const Dims& dims, const std::vector<T>& want,
                   const std::vector<double>& scale, double rel, const std::string& what) {
  ASSERT_EQ(got.dtype(), DTypeOf<T>::value) << what;
  ASSERT_EQ(got.dims(), dims) << what;
  ASSERT_EQ(static_cast<int64_t>(want.size()), got.numel()) << what;
  const T* g = got.data<T>();
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::is_integral_v<T> || !std::isfinite(static_cast<double>(want[i]))) {
      ASSERT_EQ(g[i], want[i]) << what << " at flat index " << i;
    } else {
      ASSERT_NEAR(g[i], want[i], rel * scale[i] + std::numeric_limits<T>::denorm_min())
          << what << " at flat index " << i;
    }
  }
}

template <typename T>
constexpr double Eps() {
  return std::is_floating_point_v<T> ? 2.0 * std::numeric_limits<T>::epsilon() : 0.0;
}

template <typename T>
using Accum = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

}  // namespace bronze::naive
