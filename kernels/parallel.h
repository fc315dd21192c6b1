// Threading for kernels. One TBB task_arena per session (ThreadPool), sized to the session's
// thread count, owns the cores; the plan runs inside it and kernels split their work with
// ParallelFor / ParallelChunks, which stay inline (no tasks) when the context has one thread or
// the work is small. Nothing else may start threads that compute (oneDNN runs single-threaded
// inside these tasks, see kernels/cpu/onednn.h).
//
// Determinism: ParallelChunks cuts [0, n) into chunks whose boundaries depend only on n and the
// grain, never on the thread count, so a kernel that reduces within each chunk and combines the
// chunk results in chunk order gives bitwise-identical results for 1 or 2 threads.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>

#include "kernels/kernel.h"

namespace bronze {

// A TBB task_arena with `threads` slots (0: every core). Run() executes `fn` inside it.
class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  void Run(const std::function<void()>& fn) const;
  // An ExecContext for kernels running inside Run().
  ExecContext context() const { return ExecContext{threads_}; }

 private:
  struct Impl;
  int threads_;
  std::unique_ptr<Impl> impl_;
};

// Work below this many elements (of a cheap elementwise op) runs inline.
inline constexpr int64_t kParallelGrain = 16384;

// Calls fn(begin, end) over disjoint ranges covering [0, n), each at least `grain` long (but the
// last), in parallel when ctx.threads > 1. Use it when the result does not depend on where the
// ranges are cut (elementwise maps, independent rows); otherwise use ParallelChunks.
template <typename F>
void ParallelFor(const ExecContext& ctx, int64_t n, int64_t grain, F&& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  if (ctx.threads <= 1 || n <= grain) {
    fn(int64_t{0}, n);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, grain),
                    [&](const tbb::blocked_range<int64_t>& r) { fn(r.begin(), r.end()); });
}

// The number of fixed chunks ParallelChunks cuts [0, n) into.
inline int64_t NumChunks(int64_t n, int64_t chunk) {
  return n <= 0 ? 0 : (n + std::max<int64_t>(chunk, 1) - 1) / std::max<int64_t>(chunk, 1);
}

// Calls fn(chunk_index, begin, end) for the fixed chunks [i*chunk, min(n, (i+1)*chunk)), in
// parallel when ctx.threads > 1 and there is more than one chunk, else in order.
template <typename F>
void ParallelChunks(const ExecContext& ctx, int64_t n, int64_t chunk, F&& fn) {
  chunk = std::max<int64_t>(chunk, 1);
  const int64_t count = NumChunks(n, chunk);
  auto body = [&](int64_t c) { fn(c, c * chunk, std::min(n, (c + 1) * chunk)); };
  if (ctx.threads <= 1 || count <= 1) {
    for (int64_t c = 0; c < count; ++c) body(c);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, count, 1), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t c = r.begin(); c < r.end(); ++c) body(c);
  });
}

}  // namespace bronze
