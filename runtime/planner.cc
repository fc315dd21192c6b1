// The memory planner: liveness per value, in-place reuse, and greedy best-fit offsets into one
// arena (see planner.h).
#include "runtime/planner.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "graph/error.h"

namespace bronze {
namespace {

struct Buffer {
  size_t bytes = 0;             // aligned
  int first = 0;                // the step that creates it
  int last = 0;                 // the last step that touches it (sequential order)
  std::vector<int> accesses;    // every step that touches it (used with a happens-before)
  size_t offset = 0;
};

// Assigns offsets to `buffers` in `order` (each into the tightest gap among the already placed
// buffers it conflicts with, else on top of them); returns the arena size.
template <typename Conflicts>
size_t Place(std::vector<Buffer>& buffers, const std::vector<int>& order, Conflicts&& conflicts) {
  std::vector<int> placed;
  std::vector<std::pair<size_t, size_t>> busy;  // (offset, end) of conflicting placed buffers
  size_t arena = 0;
  for (int b : order) {
    Buffer& buf = buffers[static_cast<size_t>(b)];
    busy.clear();
    for (int p : placed) {
      if (conflicts(b, p)) {
        const Buffer& q = buffers[static_cast<size_t>(p)];
        busy.emplace_back(q.offset, q.offset + q.bytes);
      }
    }
    std::sort(busy.begin(), busy.end());
    size_t prev_end = 0, best = std::numeric_limits<size_t>::max();
    size_t best_gap = std::numeric_limits<size_t>::max();
    for (const auto& [begin, end] : busy) {
      if (begin >= prev_end) {
        size_t gap = begin - prev_end;
        if (gap >= buf.bytes && gap < best_gap) {
          best_gap = gap;
          best = prev_end;
        }
      }
      prev_end = std::max(prev_end, end);
    }
    buf.offset = best != std::numeric_limits<size_t>::max() ? best : prev_end;
    arena = std::max(arena, buf.offset + buf.bytes);
    placed.push_back(b);
  }
  return arena;
}

}  // namespace

std::string FormatBytes(size_t bytes) {
  char text[32];
  if (bytes < 1024) {
    std::snprintf(text, sizeof text, "%zu B", bytes);
  } else if (bytes < size_t{1} << 20) {
    std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  } else if (bytes < size_t{1} << 30) {
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  } else {
    std::snprintf(text, sizeof text, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  }
  return text;
}

std::string MemoryPlan::Summary() const {
  int values = 0;
  for (SlotKind k : kind) values += k == SlotKind::kArena ? 1 : 0;
  return "arena " + FormatBytes(arena_bytes) + " for " + std::to_string(values) +
         " intermediate values (peak live " + FormatBytes(live_peak_bytes) + "), " +
         std::to_string(inplace_reuses) + " in place";
}

MemoryPlan PlanMemory(const PlannerInput& in) {
  const size_t num_slots = in.slot_bytes.size();
  BRONZE_CHECK(in.is_source.size() == num_slots && in.is_output.size() == num_slots &&
               in.slot_key.size() == num_slots);
  MemoryPlan plan;
  plan.kind.assign(num_slots, SlotKind::kExternal);
  plan.offset.assign(num_slots, 0);
  plan.reuses.assign(num_slots, -1);

  // Roles, producers and last readers.
  std::vector<int> def(num_slots, -1), last(num_slots, -1);
  for (size_t s = 0; s < in.steps.size(); ++s) {
    const PlannerStep& step = in.steps[s];
    for (int o : step.outputs) {
      const size_t u = static_cast<size_t>(o);
      def[u] = last[u] = static_cast<int>(s);
      plan.kind[u] = in.is_source[u] ? SlotKind::kExternal
                     : in.is_output[u] ? SlotKind::kOutput
                                       : SlotKind::kArena;
    }
    for (const auto& [k, j] : step.aliases) {
      plan.kind[static_cast<size_t>(step.outputs[static_cast<size_t>(k)])] = SlotKind::kAlias;
    }
    for (int i : step.inputs) last[static_cast<size_t>(i)] = static_cast<int>(s);
  }

  // In-place reuse (sequential schedules only): an output takes over the buffer of an arena
  // input of the same dtype and dims whose last reader is this step.
  std::vector<int> root(num_slots);
  for (size_t u = 0; u < num_slots; ++u) root[u] = static_cast<int>(u);
  if (!in.happens_before) {
    for (size_t s = 0; s < in.steps.size(); ++s) {
      const PlannerStep& step = in.steps[s];
      if (!step.reuse_ok) continue;
      std::vector<int> taken;
      for (int o : step.outputs) {
        const size_t uo = static_cast<size_t>(o);
        if (plan.kind[uo] != SlotKind::kArena) continue;
        for (int i : step.inputs) {
          const size_t ui = static_cast<size_t>(i);
          if (plan.kind[ui] != SlotKind::kArena || last[ui] != static_cast<int>(s) ||
              (!step.reuse_any_dims && in.slot_key[ui] != in.slot_key[uo]) ||
              in.slot_bytes[ui] != in.slot_bytes[uo] ||
              std::find(taken.begin(), taken.end(), i) != taken.end()) {
            continue;
          }
          taken.push_back(i);
          plan.reuses[uo] = i;
          root[uo] = root[ui];
          ++plan.inplace_reuses;
          break;
        }
      }
    }
  }

  // Buffers: one per root arena slot, spanning its members' lifetimes.
  std::vector<int> buffer_of(num_slots, -1);
  std::vector<Buffer> buffers;
  for (size_t u = 0; u < num_slots; ++u) {
    if (plan.kind[u] != SlotKind::kArena) continue;
    const size_t r = static_cast<size_t>(root[u]);
    if (buffer_of[r] < 0) {
      buffer_of[r] = static_cast<int>(buffers.size());
      Buffer b;
      b.bytes = AlignArena(std::max<size_t>(in.slot_bytes[r], 1));
      b.first = def[r];
      b.last = def[r];
      buffers.push_back(b);
    }
    buffer_of[u] = buffer_of[r];
    Buffer& b = buffers[static_cast<size_t>(buffer_of[u])];
    b.last = std::max(b.last, last[u]);
    b.accesses.push_back(def[u]);
  }
  if (in.happens_before) {
    for (size_t s = 0; s < in.steps.size(); ++s) {
      for (int i : in.steps[s].inputs) {
        int b = buffer_of[static_cast<size_t>(i)];
        if (b >= 0) buffers[static_cast<size_t>(b)].accesses.push_back(static_cast<int>(s));
      }
    }
  }

  // Conflicts: overlapping lifetimes in the sequential order, or, with a happens-before, neither
  // buffer finishing before the other starts.
  auto all_before = [&](const Buffer& a, int start) {
    for (int x : a.accesses) {
      if (x == start || !in.happens_before(x, start)) return false;
    }
    return true;
  };
  auto conflicts = [&](int x, int y) {
    const Buffer& a = buffers[static_cast<size_t>(x)];
    const Buffer& b = buffers[static_cast<size_t>(y)];
    if (!in.happens_before) return !(a.last < b.first || b.last < a.first);
    return !(all_before(a, b.first) || all_before(b, a.first));
  };

  std::vector<int> by_size(buffers.size()), by_start(buffers.size());
  for (size_t b = 0; b < buffers.size(); ++b) by_size[b] = by_start[b] = static_cast<int>(b);
  std::stable_sort(by_size.begin(), by_size.end(), [&](int x, int y) {
    const Buffer& a = buffers[static_cast<size_t>(x)];
    const Buffer& b = buffers[static_cast<size_t>(y)];
    if (a.bytes != b.bytes) return a.bytes > b.bytes;
    return a.last - a.first > b.last - b.first;
  });
  std::stable_sort(by_start.begin(), by_start.end(), [&](int x, int y) {
    const Buffer& a = buffers[static_cast<size_t>(x)];
    const Buffer& b = buffers[static_cast<size_t>(y)];
    if (a.first != b.first) return a.first < b.first;
    return a.bytes > b.bytes;
  });
  std::vector<Buffer> alternative = buffers;
  size_t size_arena = Place(buffers, by_size, conflicts);
  std::swap(buffers, alternative);
  size_t start_arena = Place(buffers, by_start, conflicts);
  plan.heuristic = "start";
  plan.arena_bytes = start_arena;
  if (size_arena <= start_arena) {
    std::swap(buffers, alternative);
    plan.heuristic = "size";
    plan.arena_bytes = size_arena;
  }
  for (size_t u = 0; u < num_slots; ++u) {
    if (buffer_of[u] >= 0) plan.offset[u] = buffers[static_cast<size_t>(buffer_of[u])].offset;
  }

  // The peak of live arena bytes in the sequential order.
  std::vector<int64_t> delta(in.steps.size() + 1, 0);
  for (const Buffer& b : buffers) {
    delta[static_cast<size_t>(b.first)] += static_cast<int64_t>(b.bytes);
    delta[static_cast<size_t>(b.last) + 1] -= static_cast<int64_t>(b.bytes);
  }
  int64_t live = 0;
  for (int64_t d : delta) {
    live += d;
    plan.live_peak_bytes = std::max(plan.live_peak_bytes, static_cast<size_t>(std::max<int64_t>(live, 0)));
  }
  return plan;
}

}  // namespace bronze
