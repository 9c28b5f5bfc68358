#include "cmaes/cmaes_tuner.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>

#include "cmaes/cma.hpp"
#include "random/random_tuner.hpp"
#include "space_encoder/space_encoder.hpp"
#include "tpe/parzen_estimator.hpp"

namespace krige::tuners {
namespace {

using cmaes::CmaWithMargin;
using cmaes::Vector;

class CmaesTuner : public Tuner {
 public:
  CmaesTuner(TunerContext context, std::optional<CmaesStart> start)
      : context_(std::move(context)), start_(std::move(start)) {
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
    startup_ = static_cast<std::size_t>(
        std::max(0.0, context_.Option("n_startup_trials", start_ ? 0 : 1)));
    popsize_ = static_cast<int>(
        std::max(2.0, context_.Option("popsize", 4 + std::floor(3 * std::log(std::max(d, 1.0))))));
    inc_popsize_ = std::max(1, static_cast<int>(context_.Option("inc_popsize", 2)));
    ipop_ = context_.Option("restarts", 1) != 0;
    const double sigma0 = context_.Option("sigma0", 1.0 / 6);
    sigma0_ = sigma0 > 0 ? sigma0 : 1.0 / 6;
    const bool margin = context_.Option("margin", 1) != 0;
    // Discrete coordinates: the unit-cube positions of every admissible value (margin on);
    // beyond kMaxValues values a parameter is searched as continuous and rounded.
    for (std::size_t j : dims_) {
      const auto& p = ps[j];
      values_.emplace_back();
      if (!margin || (p.type == ParamType::kFloat && p.step <= 0)) continue;
      const double step = p.step > 0 ? p.step : 1.0;
      const auto count = static_cast<std::int64_t>(std::floor((p.high - p.low) / step + 1e-9)) + 1;
      if (count > kMaxValues) continue;
      for (std::int64_t k = 0; k < count; ++k)
        values_.back().push_back(
            SpaceEncoder::NumericPosition(p, p.low + static_cast<double>(k) * step));
    }
  }

  std::vector<Suggestion> Suggest(const History& history, int n) const override {
    std::set<Params> taken(history.pending.begin(), history.pending.end());
    taken.insert(history.failed.begin(), history.failed.end());
    std::vector<std::pair<const Params*, double>> told;
    const double sign = context_.goal == Goal::kMaximize ? -1.0 : 1.0;  // CMA-ES minimizes
    std::size_t completed = 0;
    for (const auto& o : history.completed) {
      taken.insert(o.params);
      if (std::isnan(o.value)) continue;
      if (completed++ < startup_) continue;  // random start trials are not told (Optuna)
      if (HasAll(o.params)) told.push_back({&o.params, sign * o.value});
    }
    std::optional<State> state;
    if (dims_.size() >= 2 && completed >= startup_) state = Replay(told);
    std::vector<Suggestion> out;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t k = history.size() + static_cast<std::uint64_t>(i);
      std::optional<Params> pick;
      std::string note;
      if (state) {
        // The generation's slots in order: the first not yet taken is this suggestion.
        for (int slot = 0; slot < Slots(state->cma) && !pick; ++slot) {
          Params p = Candidate(*state, slot).first;
          if (!taken.count(p)) pick = std::move(p);
        }
        if (!pick) note = "cmaes: every candidate of the generation was taken; random";
      }
      for (std::uint64_t redraw = 0; redraw < 64 && !pick; ++redraw) {
        Params p = SampleUniform(context_.space, DeriveSeed(context_.seed, k + (redraw << 40)));
        if (!taken.count(p)) pick = std::move(p);
      }
      if (!pick) break;  // the space looks exhausted
      taken.insert(*pick);
      out.push_back({std::move(*pick), std::move(note)});
    }
    return out;
  }

 private:
  static constexpr std::int64_t kMaxValues = 1000;

  struct State {
    CmaWithMargin cma;
    int restart = 0;
  };

  static int Slots(const CmaWithMargin& cma) { return 4 * cma.popsize() + 64; }

  bool HasAll(const Params& params) const {
    for (std::size_t j : dims_) {
      const auto it = params.find(context_.space.params()[j].name);
      if (it == params.end() || !IsNumeric(it->second)) return false;
    }
    return true;
  }

  // The candidate of `slot` in the current generation: its params and its raw CMA sample.
  std::pair<Params, Vector> Candidate(const State& state, int slot) const {
    const std::uint64_t stream =
        DeriveSeed(DeriveSeed(DeriveSeed(DeriveSeed(context_.seed, 0xc3a), state.restart),
                              static_cast<std::uint64_t>(state.cma.cma().generation())),
                   static_cast<std::uint64_t>(slot));
    std::mt19937_64 rng(stream);
    const auto [encoded, raw] = state.cma.Ask(rng);
    Params p = SampleUniform(context_.space, stream);  // categorical and conditional: random
    for (std::size_t m = 0; m < dims_.size(); ++m) {
      const auto& spec = context_.space.params()[dims_[m]];
      p[spec.name] = SpaceEncoder::NumericAt(spec, encoded[static_cast<Eigen::Index>(m)]);
    }
    return {std::move(p), raw};
  }

  std::vector<ParamValue> Key(const Params& params) const {
    std::vector<ParamValue> key;
    for (std::size_t j : dims_) key.push_back(params.at(context_.space.params()[j].name));
    return key;
  }

  State Start(int restart, int popsize) const {
    const auto d = static_cast<Eigen::Index>(dims_.size());
    Vector mean = Vector::Constant(d, 0.5);
    if (restart == 0 && start_) {  // the caller's warm start: its point and step size
      for (std::size_t m = 0; m < dims_.size(); ++m) {
        const auto& spec = context_.space.params()[dims_[m]];
        const auto it = start_->mean.find(spec.name);
        if (it != start_->mean.end() && IsNumeric(it->second))
          mean[static_cast<Eigen::Index>(m)] =
              std::clamp(SpaceEncoder::NumericPosition(spec, AsDouble(it->second)), 0.0, 1.0);
      }
      const double sigma = start_->sigma > 0 ? std::min(start_->sigma, sigma0_) : sigma0_;
      return {CmaWithMargin(mean, sigma, popsize, values_), restart};
    }
    if (restart > 0) {  // IPOP: a random start point
      std::mt19937_64 rng(DeriveSeed(DeriveSeed(context_.seed, 0x1b0b), restart));
      for (Eigen::Index i = 0; i < d; ++i) mean[i] = tpe::Uniform01(rng);
    }
    return {CmaWithMargin(mean, sigma0_, popsize, values_), restart};
  }

  // The optimizer after the told trials, popsize at a time, in history order. Each trial is
  // told the raw sample of the generation's slot that proposed it (what CMA-ES with margin
  // needs, and Optuna stores as x_for_tell); a trial no slot proposed (it was asked in an
  // earlier generation, or not by this tuner) is told its own position.
  State Replay(const std::vector<std::pair<const Params*, double>>& told) const {
    int popsize = popsize_;
    State state = Start(0, popsize);
    for (std::size_t i = 0; i + static_cast<std::size_t>(state.cma.popsize()) <= told.size();) {
      const auto end = i + static_cast<std::size_t>(state.cma.popsize());
      std::map<std::vector<ParamValue>, Vector> slots;
      int generated = 0;
      std::vector<std::pair<Vector, double>> solutions;
      for (; i < end; ++i) {
        const auto key = Key(*told[i].first);
        auto it = slots.find(key);
        while (it == slots.end() && generated < Slots(state.cma)) {
          auto [params, raw] = Candidate(state, generated++);
          const auto inserted = slots.emplace(Key(params), raw);
          if (inserted.first->first == key) it = inserted.first;
        }
        Vector x(static_cast<Eigen::Index>(dims_.size()));
        if (it != slots.end()) {
          x = it->second;
        } else {
          for (std::size_t m = 0; m < dims_.size(); ++m)
            x[static_cast<Eigen::Index>(m)] =
                SpaceEncoder::NumericPosition(context_.space.params()[dims_[m]], AsDouble(key[m]));
        }
        solutions.push_back({x, told[i].second});
      }
      state.cma.Tell(std::move(solutions));
      if (ipop_ && state.cma.ShouldStop()) {
        popsize *= inc_popsize_;
        state = Start(state.restart + 1, popsize);
      }
    }
    return state;
  }

  TunerContext context_;
  std::optional<CmaesStart> start_;
  std::vector<std::size_t> dims_;            // indices of the parameters CMA-ES searches
  std::vector<std::vector<double>> values_;  // per dim: positions of its values, or empty
  std::size_t startup_ = 1;
  int popsize_ = 4;
  int inc_popsize_ = 2;
  bool ipop_ = true;
  double sigma0_ = 1.0 / 6;
};

}  // namespace

std::unique_ptr<Tuner> MakeCmaesTuner(const TunerContext& context) {
  return std::make_unique<CmaesTuner>(context, std::nullopt);
}

std::unique_ptr<Tuner> MakeWarmCmaesTuner(const TunerContext& context, CmaesStart start) {
  return std::make_unique<CmaesTuner>(context, std::move(start));
}

}  // namespace krige::tuners
