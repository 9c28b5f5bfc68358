#include "auto/auto_tuner.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "cmaes/cmaes_tuner.hpp"
#include "gp/gp_tuner.hpp"
#include "space_encoder/space_encoder.hpp"
#include "tpe/tpe_tuner.hpp"

namespace krige::tuners {
namespace {

// The sub-tuners get the seed and goal, not auto's own options.
TunerContext Inner(const TunerContext& context) {
  TunerContext c = context;
  c.options.clear();
  return c;
}

class AutoTuner : public Tuner {
 public:
  explicit AutoTuner(TunerContext context) : context_(std::move(context)) {
    const auto& ps = context_.space.params();
    numeric_ = std::none_of(ps.begin(), ps.end(), [](const ParamSpec& p) {
      return p.type == ParamType::kCategorical || p.when.has_value();
    });
    for (const auto& p : ps)
      varying_ += p.type == ParamType::kFloat && p.step <= 0
                      ? p.low < p.high
                      : SpaceEncoder::NumericAt(p, 0.0) != SpaceEncoder::NumericAt(p, 1.0);
    gp_trials_ = static_cast<std::size_t>(std::max(2.0, context_.Option("gp_trials", 250)));
    cmaes_dims_ = static_cast<int>(std::max(2.0, context_.Option("cmaes_dims", 16)));
    if (numeric_) gp_ = MakeGpTuner(Inner(context_));
    if (numeric_ && varying_ >= 2) cmaes_ = MakeCmaesTuner(Inner(context_));
    tpe_ = MakeTpeTuner(Inner(context_));
  }

  std::vector<Suggestion> Suggest(const History& history, int n) const override {
    if (!numeric_) return tpe_->Suggest(history, n);
    if (varying_ >= cmaes_dims_) return cmaes_->Suggest(history, n);  // many dimensions
    if (history.completed.size() < gp_trials_) return gp_->Suggest(history, n);
    if (varying_ < 2) return tpe_->Suggest(history, n);  // CMA-ES needs two dimensions
    return Cmaes(history, n);
  }

 private:
  // CMA-ES over the trials after the hand-over; gp's trials only mark points as taken (as
  // failures do: never proposed again, no effect on the search distribution).
  std::vector<Suggestion> Cmaes(const History& history, int n) const {
    const auto handover = history.completed.begin() + static_cast<std::ptrdiff_t>(gp_trials_);
    History h;
    h.completed.assign(handover, history.completed.end());
    h.pending = history.pending;
    h.failed = history.failed;
    for (auto it = history.completed.begin(); it != handover; ++it) h.failed.push_back(it->params);
    return MakeWarmCmaesTuner(Inner(context_), Start(history))->Suggest(h, n);
  }

  CmaesStart Start(const History& history) const {
    const double sign = context_.goal == Goal::kMaximize ? -1.0 : 1.0;
    std::vector<std::pair<double, std::size_t>> ranked;  // (loss, index) of gp's trials
    for (std::size_t i = 0; i < gp_trials_; ++i) {
      const double v = history.completed[i].value;
      if (std::isfinite(v)) ranked.push_back({sign * v, i});
    }
    CmaesStart start;
    if (ranked.empty()) return start;  // nothing to go on: the centre and sigma0
    std::sort(ranked.begin(), ranked.end());
    const Params& best = history.completed[ranked[0].second].params;
    start.mean = best;
    // The step size: the RMS distance, per coordinate, of the best tenth from the best.
    const std::size_t k = std::clamp<std::size_t>(ranked.size() / 10, 2, ranked.size());
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t r = 1; r < k; ++r)
      for (const auto& spec : context_.space.params()) {
        const auto a = best.find(spec.name);
        const auto& other = history.completed[ranked[r].second].params;
        const auto b = other.find(spec.name);
        if (a == best.end() || b == other.end() || !IsNumeric(a->second) || !IsNumeric(b->second))
          continue;
        const double d = SpaceEncoder::NumericPosition(spec, AsDouble(a->second)) -
                         SpaceEncoder::NumericPosition(spec, AsDouble(b->second));
        sum += d * d;
        ++count;
      }
    start.sigma =
        count ? std::clamp(std::sqrt(sum / static_cast<double>(count)), 0.01, 1.0 / 6) : 1.0 / 6;
    return start;
  }

  TunerContext context_;
  bool numeric_ = false;
  int varying_ = 0;  // parameters with more than one value
  std::size_t gp_trials_ = 250;
  int cmaes_dims_ = 16;
  std::unique_ptr<Tuner> gp_, cmaes_, tpe_;
};

}  // namespace

std::unique_ptr<Tuner> MakeAutoTuner(const TunerContext& context) {
  return std::make_unique<AutoTuner>(context);
}

}  // namespace krige::tuners
