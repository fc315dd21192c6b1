// Learning-rate schedules (see lr_schedule.h).
#include "runtime/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "graph/attribute.h"
#include "graph/error.h"

namespace bronze {
namespace {

class Constant final : public LrSchedule {
 public:
  explicit Constant(double lr) : lr_(lr) {}
  double At(int64_t) const override { return lr_; }
  std::string ToString() const override { return "constant(lr=" + FormatDouble(lr_) + ")"; }

 private:
  double lr_;
};

class Step final : public LrSchedule {
 public:
  Step(double lr, int64_t size, double gamma) : lr_(lr), size_(size), gamma_(gamma) {}
  double At(int64_t step) const override {
    return lr_ * std::pow(gamma_, static_cast<double>(std::max<int64_t>(step, 0) / size_));
  }
  std::string ToString() const override {
    return "step(lr=" + FormatDouble(lr_) + ", step_size=" + std::to_string(size_) +
           ", gamma=" + FormatDouble(gamma_) + ")";
  }

 private:
  double lr_;
  int64_t size_;
  double gamma_;
};

class Cosine final : public LrSchedule {
 public:
  Cosine(double lr, int64_t t_max, double eta_min) : lr_(lr), t_max_(t_max), eta_min_(eta_min) {}
  double At(int64_t step) const override {
    const double t = static_cast<double>(std::clamp<int64_t>(step, 0, t_max_));
    return eta_min_ + (lr_ - eta_min_) * (1 + std::cos(std::numbers::pi * t / static_cast<double>(t_max_))) / 2;
  }
  std::string ToString() const override {
    return "cosine(lr=" + FormatDouble(lr_) + ", t_max=" + std::to_string(t_max_) +
           ", eta_min=" + FormatDouble(eta_min_) + ")";
  }

 private:
  double lr_;
  int64_t t_max_;
  double eta_min_;
};

class Warmup final : public LrSchedule {
 public:
  Warmup(std::shared_ptr<LrSchedule> after, int64_t steps, double start)
      : after_(std::move(after)), steps_(steps), start_(start) {}
  double At(int64_t step) const override {
    if (step < steps_) {
      const double f = start_ + (1 - start_) * static_cast<double>(std::max<int64_t>(step, 0)) /
                                    static_cast<double>(steps_);
      return after_->At(0) * f;
    }
    return after_->At(step - steps_);
  }
  std::string ToString() const override {
    return "warmup(steps=" + std::to_string(steps_) + ", start_factor=" + FormatDouble(start_) +
           ", then " + after_->ToString() + ")";
  }

 private:
  std::shared_ptr<LrSchedule> after_;
  int64_t steps_;
  double start_;
};

void RequireRate(double lr, const char* what) {
  if (!(lr >= 0) || !std::isfinite(lr)) {
    throw InvalidArgumentError(std::string(what) + " must be a finite number >= 0, got " + FormatDouble(lr));
  }
}

}  // namespace

std::shared_ptr<LrSchedule> ConstantLr(double lr) {
  RequireRate(lr, "lr");
  return std::make_shared<Constant>(lr);
}

std::shared_ptr<LrSchedule> StepLr(double lr, int64_t step_size, double gamma) {
  RequireRate(lr, "lr");
  RequireRate(gamma, "gamma");
  if (step_size <= 0) throw InvalidArgumentError("step_size must be > 0, got " + std::to_string(step_size));
  return std::make_shared<Step>(lr, step_size, gamma);
}

std::shared_ptr<LrSchedule> CosineLr(double lr, int64_t t_max, double eta_min) {
  RequireRate(lr, "lr");
  RequireRate(eta_min, "eta_min");
  if (t_max <= 0) throw InvalidArgumentError("t_max must be > 0, got " + std::to_string(t_max));
  return std::make_shared<Cosine>(lr, t_max, eta_min);
}

std::shared_ptr<LrSchedule> LinearWarmup(std::shared_ptr<LrSchedule> after, int64_t warmup_steps,
                                         double start_factor) {
  if (!after) throw InvalidArgumentError("LinearWarmup needs a schedule to follow the warmup");
  if (warmup_steps <= 0) throw InvalidArgumentError("warmup_steps must be > 0, got " + std::to_string(warmup_steps));
  if (!(start_factor >= 0 && start_factor <= 1)) {
    throw InvalidArgumentError("start_factor must be in [0, 1], got " + FormatDouble(start_factor));
  }
  return std::make_shared<Warmup>(std::move(after), warmup_steps, start_factor);
}

}  // namespace bronze
