// Profile's table and JSON (runtime/profile.h); Session::Profile takes the times.
#include "runtime/profile.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace bronze {

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double ProfileReport::step_seconds() const {
  double total = 0;
  for (const StepProfile& s : steps) total += s.median_seconds;
  return total;
}

namespace {

std::string Format(const char* fmt, double a, double b = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a, b);
  return buf;
}

// "1.23 ms", "45.6 us", "789 ns".
std::string Time(double seconds) {
  if (seconds >= 1e-3) return Format("%.3f ms", seconds * 1e3);
  if (seconds >= 1e-6) return Format("%.1f us", seconds * 1e6);
  return Format("%.0f ns", seconds * 1e9);
}

// A rate from the cost estimate; "-" without one, and under a microsecond (a view such as
// flatten moves no bytes, whatever its estimate says).
std::string Rate(double amount, double seconds, double unit) {
  if (amount <= 0 || seconds < 1e-6) return "-";
  return Format("%.1f", amount / seconds / unit);
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string Number(double v) { return Format("%.6g", v); }

}  // namespace

std::string ProfileReport::ToString(size_t top) const {
  std::vector<size_t> order(steps.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return steps[a].median_seconds > steps[b].median_seconds;
  });
  const size_t shown = top == 0 ? order.size() : std::min(top, order.size());
  const double total = step_seconds();
  size_t node_w = 4, op_w = 2, shape_w = 5;
  for (size_t k = 0; k < shown; ++k) {
    const StepProfile& s = steps[order[k]];
    node_w = std::max(node_w, s.node.size());
    op_w = std::max(op_w, s.op.size());
    shape_w = std::max(shape_w, s.shape.size());
  }
  node_w = std::min<size_t>(node_w, 40);
  shape_w = std::min<size_t>(shape_w, 40);
  std::string out = "profile: " + std::to_string(runs) + " runs, " + std::to_string(threads) + " threads" +
                    ", steps in plan order with clock reads around each kernel\n";
  out += Pad("  #", 6) + Pad("node", node_w + 2) + Pad("op", op_w + 2) + Pad("shape", shape_w + 2) +
         Pad("median", 12) + Pad("min", 12) + Pad("share", 8) + Pad("GFLOP/s", 9) + "GB/s\n";
  for (size_t k = 0; k < shown; ++k) {
    const size_t i = order[k];
    const StepProfile& s = steps[i];
    out += Pad("  " + std::to_string(i), 6) + Pad(s.node, node_w + 2) + Pad(s.op, op_w + 2) +
           Pad(s.shape, shape_w + 2) + Pad(Time(s.median_seconds), 12) +
           Pad(Time(s.min_seconds), 12) +
           Pad(Format("%.1f%%", total > 0 ? 100 * s.median_seconds / total : 0), 8) +
           Pad(Rate(s.flops, s.median_seconds, 1e9), 9) + Rate(s.bytes, s.median_seconds, 1e9) +
           "\n";
    if (!s.detail.empty()) out += std::string(6, ' ') + "fuses: " + s.detail + "\n";
  }
  if (shown < order.size()) {
    double rest = 0;
    for (size_t k = shown; k < order.size(); ++k) rest += steps[order[k]].median_seconds;
    out += "  ... " + std::to_string(order.size() - shown) + " more steps: " + Time(rest) +
           Format(" (%.1f%%)\n", total > 0 ? 100 * rest / total : 0);
  }
  out += "  steps: " + Time(total) + " (sum of medians); whole runs: min " +
         Time(run_min_seconds) + ", median " + Time(run_median_seconds) + "\n";
  return out;
}

std::string ProfileReport::ToJson() const {
  std::string out = "{\"runs\": " + std::to_string(runs) + ", \"threads\": " +
                    std::to_string(threads) + ", \"run_seconds\": {\"min\": " +
                    Number(run_min_seconds) + ", \"median\": " + Number(run_median_seconds) +
                    "}, \"steps\": [";
  for (size_t i = 0; i < steps.size(); ++i) {
    const StepProfile& s = steps[i];
    out += std::string(i ? ", " : "") + "{\"node\": " + JsonQuote(s.node) +
           ", \"op\": " + JsonQuote(s.op) + ", \"detail\": " + JsonQuote(s.detail) +
           ", \"shape\": " + JsonQuote(s.shape) + ", \"location\": " + JsonQuote(s.location) +
           ", \"flops\": " + Number(s.flops) + ", \"bytes\": " + Number(s.bytes) +
           ", \"min_seconds\": " + Number(s.min_seconds) +
           ", \"median_seconds\": " + Number(s.median_seconds) + "}";
  }
  return out + "]}";
}

}  // namespace bronze
