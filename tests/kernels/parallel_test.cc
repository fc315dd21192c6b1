// kernels/parallel.h: the ThreadPool's size (default: every core), that work inside it never uses
// more threads than the pool has, that ParallelFor covers a range exactly once, that ParallelChunks
// cuts the same chunks whatever the thread count, and that one thread means no tasks at all.
#include <gtest/gtest.h>

#include <tbb/info.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "kernels/parallel.h"
#include "test_util.h"

namespace bronze {
namespace {

TEST(ThreadPool, DefaultsToEveryCoreAndHonoursAnExplicitCount) {
  EXPECT_EQ(ThreadPool(0).threads(), std::max(1, tbb::info::default_concurrency()));
  EXPECT_EQ(ThreadPool(1).threads(), 1);
  EXPECT_EQ(ThreadPool(3).threads(), 3);
  EXPECT_EQ(ThreadPool(3).context().threads, 3);
}

TEST(ThreadPool, WorkInsideNeverExceedsThePoolsThreads) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    ExecContext ctx = pool.context();
    std::mutex mu;
    std::set<std::thread::id> seen;
    int concurrency = 0;
    pool.Run([&] {
      concurrency = tbb::this_task_arena::max_concurrency();
      ParallelFor(ctx, 1 << 20, 1024, [&](int64_t, int64_t) {
        std::lock_guard<std::mutex> lock(mu);
        seen.insert(std::this_thread::get_id());
      });
    });
    EXPECT_LE(static_cast<int>(seen.size()), threads);
    if (threads > 1) {
      EXPECT_EQ(concurrency, threads);
    }
  }
}

TEST(ParallelFor, CoversTheRangeExactlyOnce) {
  ThreadPool pool(2);
  ExecContext ctx = pool.context();
  for (int64_t n : {0, 1, 1000, 100003}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.Run([&] {
      ParallelFor(ctx, n, 777, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n " << n << " i " << i;
  }
}

TEST(ParallelChunks, CutsTheSameChunksForAnyThreadCount) {
  const int64_t n = 100003, chunk = 4096;
  std::vector<std::pair<int64_t, int64_t>> cuts[3];
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    ExecContext ctx = pool.context();
    std::vector<std::pair<int64_t, int64_t>> got(static_cast<size_t>(NumChunks(n, chunk)));
    pool.Run([&] {
      ParallelChunks(ctx, n, chunk, [&](int64_t c, int64_t b, int64_t e) { got[static_cast<size_t>(c)] = {b, e}; });
    });
    cuts[threads] = got;
  }
  EXPECT_EQ(cuts[1], cuts[2]);
  ASSERT_EQ(cuts[1].size(), 25u);
  EXPECT_EQ(cuts[1].front(), (std::pair<int64_t, int64_t>{0, 4096}));
  EXPECT_EQ(cuts[1].back(), (std::pair<int64_t, int64_t>{24 * 4096, n}));
}

TEST(ParallelFor, OneThreadRunsInlineOnTheCallingThread) {
  ThreadPool pool(1);
  ExecContext ctx = pool.context();
  std::thread::id caller = std::this_thread::get_id();
  int calls = 0;
  bool same_thread = true;
  pool.Run([&] {
    ParallelFor(ctx, 1 << 20, 16, [&](int64_t b, int64_t e) {
      ++calls;
      same_thread = same_thread && std::this_thread::get_id() == caller;
      EXPECT_EQ(b, 0);
      EXPECT_EQ(e, 1 << 20);
    });
  });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(same_thread);
}

}  // namespace
}  // namespace bronze
