#include "cmaes/cmaes_tuner.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include "cmaes/cma.hpp"
#include "random/random_tuner.hpp"
#include "space_encoder/space_encoder.hpp"
#include "tpe/parzen_estimator.hpp"

namespace krige::tuners {
namespace {

using cmaes::Cma;
using cmaes::Vector;

double Option(const TunerContext& c, const char* name, double fallback) {
  const auto it = c.options.find(name);
  return it == c.options.end() || !std::isfinite(it->second) ? fallback : it->second;
}

class CmaesTuner : public Tuner {
 public:
  explicit CmaesTuner(TunerContext context) : context_(std::move(context)) {
    const auto& ps = context_.space.params();
    std::set<std::string> parents;
    for (const auto& p : ps)
      if (p.when) parents.insert(p.when->parent);
    for (std::size_t j = 0; j < ps.size(); ++j) {
      const auto& p = ps[j];
      const bool single = p.type == ParamType::kFloat && p.step <= 0
                              ? !(p.low < p.high)
                              : SpaceEncoder::NumericAt(p, 0.0) == SpaceEncoder::NumericAt(p, 1.0);
      if (p.type != ParamType::kCategorical && !p.when && !parents.count(p.name) && !single)
        dims_.push_back(j);
    }
    const double d = static_cast<double>(dims_.size());
    startup_ = static_cast<std::size_t>(std::max(0.0, Option(context_, "n_startup_trials", 1)));
    popsize_ = static_cast<int>(
        std::max(2.0, Option(context_, "popsize", 4 + std::floor(3 * std::log(std::max(d, 1.0))))));
    inc_popsize_ = std::max(1, static_cast<int>(Option(context_, "inc_popsize", 2)));
    ipop_ = Option(context_, "restarts", 1) != 0;
    const double sigma0 = Option(context_, "sigma0", 1.0 / 6);
    sigma0_ = sigma0 > 0 ? sigma0 : 1.0 / 6;
  }

  std::vector<Suggestion> Suggest(const History& history, int n) const override {
    std::set<Params> taken(history.pending.begin(), history.pending.end());
    taken.insert(history.failed.begin(), history.failed.end());
    std::vector<std::pair<Vector, double>> told;
    const double sign = context_.goal == Goal::kMaximize ? -1.0 : 1.0;  // CMA-ES minimizes
    std::size_t completed = 0;
    for (const auto& o : history.completed) {
      taken.insert(o.params);
      if (std::isnan(o.value)) continue;
      if (completed++ < startup_) continue;
      if (const auto x = Encode(o.params)) told.push_back({*x, sign * o.value});
    }
    const bool use_cma = dims_.size() >= 2 && completed >= startup_;
    std::optional<Cma> cma;
    int restart = 0;
    if (use_cma) {
      cma = Replay(told, &restart);
    }
    std::vector<Suggestion> out;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t k = history.size() + static_cast<std::uint64_t>(i);
      std::optional<Params> pick;
      std::string note;
      for (std::uint64_t redraw = 0; redraw < 64 && !pick; ++redraw) {
        const std::uint64_t stream = k + (redraw << 40);
        Params p = SampleUniform(context_.space, DeriveSeed(context_.seed, stream));
        if (cma) {
          std::mt19937_64 rng(DeriveSeed(DeriveSeed(context_.seed, 0xc3a), stream));
          const Vector x = cma->Ask(rng);
          for (std::size_t m = 0; m < dims_.size(); ++m) {
            const auto& spec = context_.space.params()[dims_[m]];
            p[spec.name] = SpaceEncoder::NumericAt(spec, x[static_cast<Eigen::Index>(m)]);
          }
          if (redraw == 8) note = "cmaes: proposals were taken; random";
          if (redraw >= 8)
            p = SampleUniform(context_.space, DeriveSeed(context_.seed ^ 0xc3a, stream));
        }
        if (!taken.count(p)) pick = std::move(p);
      }
      if (!pick) break;  // the space looks exhausted
      taken.insert(*pick);
      out.push_back({std::move(*pick), std::move(note)});
    }
    return out;
  }

 private:
  // The CMA coordinates of a trial (nullopt if it lacks one of the parameters).
  std::optional<Vector> Encode(const Params& params) const {
    Vector x(static_cast<Eigen::Index>(dims_.size()));
    for (std::size_t m = 0; m < dims_.size(); ++m) {
      const auto& spec = context_.space.params()[dims_[m]];
      const auto it = params.find(spec.name);
      if (it == params.end() || !IsNumeric(it->second)) return std::nullopt;
      x[static_cast<Eigen::Index>(m)] = SpaceEncoder::NumericPosition(spec, AsDouble(it->second));
    }
    return x;
  }

  Cma Start(int restart, int popsize) const {
    const auto d = static_cast<Eigen::Index>(dims_.size());
    Vector mean = Vector::Constant(d, 0.5);
    if (restart > 0) {  // IPOP: a random start point
      std::mt19937_64 rng(DeriveSeed(DeriveSeed(context_.seed, 0x1b0b), restart));
      for (Eigen::Index i = 0; i < d; ++i) mean[i] = tpe::Uniform01(rng);
    }
    return Cma(mean, sigma0_, popsize);
  }

  // The optimizer after the completed trials, popsize at a time, in order.
  Cma Replay(const std::vector<std::pair<Vector, double>>& told, int* restart) const {
    int popsize = popsize_;
    Cma cma = Start(0, popsize);
    for (std::size_t i = 0; i + static_cast<std::size_t>(cma.popsize()) <= told.size();) {
      const auto end = i + static_cast<std::size_t>(cma.popsize());
      cma.Tell({told.begin() + static_cast<std::ptrdiff_t>(i),
                told.begin() + static_cast<std::ptrdiff_t>(end)});
      i = end;
      if (ipop_ && cma.ShouldStop()) {
        popsize *= inc_popsize_;
        cma = Start(++*restart, popsize);
      }
    }
    return cma;
  }

  TunerContext context_;
  std::vector<std::size_t> dims_;  // indices of the parameters CMA-ES searches
  std::size_t startup_ = 1;
  int popsize_ = 4;
  int inc_popsize_ = 2;
  bool ipop_ = true;
  double sigma0_ = 1.0 / 6;
};

}  // namespace

std::unique_ptr<Tuner> MakeCmaesTuner(const TunerContext& context) {
  return std::make_unique<CmaesTuner>(context);
}

}  // namespace krige::tuners
