// The process-wide node evaluator slot (see graph/evaluator.h).
#include "graph/evaluator.h"

#include <mutex>

namespace bronze {
namespace {

std::mutex& EvaluatorMutex() {
  static std::mutex mutex;
  return mutex;
}

std::shared_ptr<const NodeEvaluator>& EvaluatorSlot() {
  static std::shared_ptr<const NodeEvaluator> slot;
  return slot;
}

}  // namespace

void SetNodeEvaluator(NodeEvaluator evaluator) {
  std::shared_ptr<const NodeEvaluator> next;
  if (evaluator) next = std::make_shared<const NodeEvaluator>(std::move(evaluator));
  std::lock_guard<std::mutex> lock(EvaluatorMutex());
  EvaluatorSlot() = std::move(next);
}

std::shared_ptr<const NodeEvaluator> GetNodeEvaluator() {
  std::lock_guard<std::mutex> lock(EvaluatorMutex());
  return EvaluatorSlot();
}

}  // namespace bronze
