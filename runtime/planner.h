// The memory planner: gives every intermediate value of a plan a 64-byte aligned offset into ONE
// arena, so a run allocates nothing per step. Inputs: the steps (which slots each reads and
// writes), the slots' sizes and roles, and a happens-before relation between steps (the linear
// order of the steps for the sequential scheduler; reachability in the step DAG when steps may
// run concurrently). Two values may share memory only when every access of one happens before
// the producer of the other starts. An output may also take over the buffer of an input that
// dies at its step (in-place reuse) when the op reads each input element only to produce the
// output element at the same index (elementwise and broadcast fusion kinds) and the two have the
// same dtype and dims; never for matmul, reductions or anything opaque.
//
// Not in the arena: graph inputs, parameters, state and constants (the caller's or the
// session's), in-place updates of state (written into the state's own buffer) and graph outputs
// (allocated fresh by each run and returned, so nothing the caller holds aliases an arena the
// next run reuses).
//
// Offsets: two greedy heuristics, and the smaller arena wins: by size (largest buffer first, each
// into the tightest gap among the placed buffers it conflicts with, as in TFLite's arena planner)
// and by start (buffers in schedule order, best fit). The arena is then close to the largest
// total size of values live at once (tests/runtime/planner_test.cc checks <= 1.1x of a bound it
// computes on its own).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace bronze {

inline constexpr size_t kArenaAlignment = 64;
inline size_t AlignArena(size_t bytes) {
  return (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

// Where a value lives during a run.
enum class SlotKind : uint8_t {
  kExternal,  // a graph input, parameter, state or constant: bound by the caller each run
  kArena,     // an intermediate: at offset(slot) in the run's arena
  kAlias,     // an in-place update: the buffer of the state input it updates
  kOutput,    // a graph output computed by a step: allocated per run and returned
};

struct PlannerStep {
  std::vector<int> inputs;   // slots
  std::vector<int> outputs;  // slots
  // (output position, input position): output written into a state input (SlotKind::kAlias).
  std::vector<std::pair<int, int>> aliases;
  // Whether an output may take over the buffer of a same-dtype, same-dims input that dies here.
  bool reuse_ok = false;
  // With reuse_ok: dims may differ as long as the bytes match (a reshape-like op whose output
  // is its input's bytes, ops::IsBytesView; its kernel then copies nothing).
  bool reuse_any_dims = false;
};

struct PlannerInput {
  std::vector<size_t> slot_bytes;   // per slot
  std::vector<int64_t> slot_key;    // per slot: dtype and dims hash-free identity for reuse
                                    // (two slots are reuse-compatible when keys are equal)
  std::vector<char> is_source;      // per slot: an input, parameter, state or constant
  std::vector<char> is_output;      // per slot: a graph output
  std::vector<PlannerStep> steps;   // in the sequential schedule's order
  // Whether step a finishes before step b starts in every execution (a != b). Null: the
  // sequential order (a < b). When given, in-place reuse is off.
  std::function<bool(int, int)> happens_before;
};

struct MemoryPlan {
  std::vector<SlotKind> kind;      // per slot
  std::vector<size_t> offset;      // per slot: the arena offset of kArena slots
  std::vector<int> reuses;         // per slot: the slot whose buffer it took over in place, or -1
  size_t arena_bytes = 0;          // the arena a run needs (a multiple of 64)
  // The most aligned bytes of arena values live at once in the sequential order: the lower bound
  // any offset assignment must reach (in-place reuse counts a shared buffer once).
  size_t live_peak_bytes = 0;
  int inplace_reuses = 0;
  std::string heuristic;           // "size" or "start": which greedy order won
  // One line: "arena 4.0 KiB for 12 values (peak live 3.9 KiB), 3 in place".
  std::string Summary() const;
};

MemoryPlan PlanMemory(const PlannerInput& input);

// "512 B", "4.0 KiB", "12.3 MiB".
std::string FormatBytes(size_t bytes);

}  // namespace bronze
