// ThreadPool: a TBB task_arena sized to a session's thread count.
#include "kernels/parallel.h"

#include <tbb/info.h>
#include <tbb/task_arena.h>

namespace bronze {

struct ThreadPool::Impl {
  explicit Impl(int threads) : arena(threads) {}
  mutable tbb::task_arena arena;
};

ThreadPool::ThreadPool(int threads)
    : threads_(threads > 0 ? threads : std::max(1, tbb::info::default_concurrency())),
      impl_(std::make_unique<Impl>(threads_)) {}

ThreadPool::~ThreadPool() = default;

void ThreadPool::Run(const std::function<void()>& fn) const {
  if (threads_ <= 1) {
    fn();  // nothing to share: no arena entry, no tasks
    return;
  }
  impl_->arena.execute(fn);
}

}  // namespace bronze
