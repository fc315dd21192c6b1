// Learning-rate schedules, evaluated on the host once per training step; the value is fed to the
// compiled training step as its scalar `lr` input, so changing it never recompiles. Semantics
// follow torch.optim.lr_scheduler's closed forms, with `step` counting optimizer steps from 0.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace bronze {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double At(int64_t step) const = 0;
  virtual std::string ToString() const = 0;
};

// lr at every step.
std::shared_ptr<LrSchedule> ConstantLr(double lr);
// torch StepLR: lr * gamma^floor(step / step_size).
std::shared_ptr<LrSchedule> StepLr(double lr, int64_t step_size, double gamma = 0.1);
// torch CosineAnnealingLR (closed form): eta_min + (lr - eta_min) * (1 + cos(pi * t / t_max)) / 2
// for t = min(step, t_max) (it stays at eta_min after t_max, rather than rising again).
std::shared_ptr<LrSchedule> CosineLr(double lr, int64_t t_max, double eta_min = 0);
// Linear warmup then `after`: for step < warmup_steps, after(0) * (start_factor + (1 -
// start_factor) * step / warmup_steps) (torch LinearLR); from then on after(step - warmup_steps)
// (torch SequentialLR).
std::shared_ptr<LrSchedule> LinearWarmup(std::shared_ptr<LrSchedule> after, int64_t warmup_steps,
                                         double start_factor = 0.0);

}  // namespace bronze
