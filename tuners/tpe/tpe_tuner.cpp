#include "tpe/tpe_tuner.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "random/random_tuner.hpp"
#include "tpe/parzen_estimator.hpp"

namespace krige::tuners {
namespace {

using tpe::Domain;
using tpe::EstimatorOptions;
using tpe::ParzenEstimator;

// A trial as TPE ranks it: completed ones by loss, pending ones (constant liar) after all.
struct Trial {
  const Params* params;
  double loss;
  bool pending;
};

using tpe::Group;

class TpeTuner : public Tuner {
 public:
  explicit TpeTuner(TunerContext context) : context_(std::move(context)) {
    startup_ = static_cast<std::size_t>(std::max(0.0, context_.Option("n_startup_trials", 10)));
    candidates_ = static_cast<std::size_t>(std::max(1.0, context_.Option("n_ei_candidates", 24)));
    multivariate_ = context_.Option("multivariate", 0) != 0;
    group_ = context_.Option("group", 1) != 0;
    liar_ = context_.Option("constant_liar", 1) != 0;
    const double prior = context_.Option("prior_weight", 1.0);
    estimator_.prior_weight = prior > 0 ? prior : 1.0;
    estimator_.endpoints = context_.Option("consider_endpoints", 0) != 0;
    estimator_.magic_clip = context_.Option("consider_magic_clip", 1) != 0;
    for (const auto& p : context_.space.params()) domains_.push_back(Domain::Of(p));
  }

  std::vector<Suggestion> Suggest(const History& history, int n) const override {
    std::set<Params> taken(history.pending.begin(), history.pending.end());
    taken.insert(history.failed.begin(), history.failed.end());
    const double sign = context_.goal == Goal::kMaximize ? -1.0 : 1.0;  // TPE minimizes
    std::vector<Trial> trials;
    for (const auto& o : history.completed) {
      taken.insert(o.params);
      // Failed and NaN trials are out of the model, as Optuna keeps only COMPLETE (and
      // PRUNED) trials; they are never proposed again.
      if (!std::isnan(o.value)) trials.push_back({&o.params, sign * o.value, false});
    }
    const std::size_t completed = trials.size();
    if (liar_)
      for (const auto& p : history.pending) trials.push_back({&p, 0.0, true});

    std::deque<Params> chosen;  // stable addresses for the batch's own pending points
    std::vector<Suggestion> out;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t k = history.size() + static_cast<std::uint64_t>(i);
      std::optional<Params> pick;
      std::string note;
      if (completed < startup_) {
        pick = RandomPoint(k, taken, 0);
      } else {
        const std::vector<bool> below = Split(trials, completed);
        const std::vector<Group> groups = multivariate_ ? Groups(trials) : std::vector<Group>{};
        for (std::uint64_t redraw = 0; redraw < 8 && !pick; ++redraw) {
          std::mt19937_64 rng(DeriveSeed(DeriveSeed(context_.seed, 0x7be), k + (redraw << 40)));
          Params p = Propose(trials, below, groups, rng);
          if (!taken.count(p)) pick = std::move(p);
        }
        if (!pick) {
          note = "tpe: every proposal was already taken; random";
          pick = RandomPoint(k, taken, 1);
        }
      }
      if (!pick) break;  // the space looks exhausted
      taken.insert(*pick);
      chosen.push_back(*pick);
      if (liar_) trials.push_back({&chosen.back(), 0.0, true});
      out.push_back({std::move(*pick), std::move(note)});
    }
    return out;
  }

 private:
  std::optional<Params> RandomPoint(std::uint64_t k, const std::set<Params>& taken,
                                    std::uint64_t salt) const {
    for (std::uint64_t redraw = 0; redraw < 64; ++redraw) {
      Params p = SampleUniform(context_.space,
                               DeriveSeed(context_.seed ^ (salt * 0x5eed), k + (redraw << 40)));
      if (!taken.count(p)) return p;
    }
    return std::nullopt;
  }

  // below[i]: trial i is among the best gamma(n) completed trials.
  static std::vector<bool> Split(const std::vector<Trial>& trials, std::size_t completed) {
    std::vector<double> losses;
    std::vector<bool> pending;
    for (const auto& t : trials) {
      losses.push_back(t.loss);
      pending.push_back(t.pending);
    }
    return tpe::SplitBelow(losses, pending, tpe::DefaultGamma(completed));
  }

  // The parameter indices present in `params`.
  Group Keys(const Params& params) const {
    Group g;
    const auto& ps = context_.space.params();
    for (std::size_t j = 0; j < ps.size(); ++j)
      if (params.count(ps[j].name)) g.insert(j);
    return g;
  }

  // Joint sampling groups from the completed trials' parameter sets.
  std::vector<Group> Groups(const std::vector<Trial>& trials) const {
    std::vector<Group> keys;
    for (const auto& t : trials)
      if (!t.pending) keys.push_back(Keys(*t.params));
    return group_ ? tpe::DecomposeGroups(keys) : std::vector<Group>{tpe::Intersection(keys)};
  }

  // One TPE draw for the parameters `params` (indices) jointly: fit l and g on the trials
  // that have all of them, draw candidates from l, keep the best l/g. Internal coordinates.
  std::vector<double> SampleJoint(const std::vector<std::size_t>& params,
                                  const std::vector<Trial>& trials, const std::vector<bool>& below,
                                  bool multivariate, std::mt19937_64& rng) const {
    const auto& ps = context_.space.params();
    std::vector<Domain> domains;
    for (std::size_t j : params) domains.push_back(domains_[j]);
    std::vector<std::vector<double>> obs_below, obs_above;
    for (std::size_t i = 0; i < trials.size(); ++i) {
      std::vector<double> row;
      for (std::size_t j : params) {
        const auto it = trials[i].params->find(ps[j].name);
        if (it == trials[i].params->end()) break;
        double x = domains_[j].ToInternal(ps[j], it->second);
        if (std::isnan(x)) break;
        if (domains_[j].kind != Domain::Kind::kCategorical)
          x = std::min(domains_[j].high, std::max(domains_[j].low, x));
        row.push_back(x);
      }
      if (row.size() != params.size()) continue;
      (below[i] ? obs_below : obs_above).push_back(std::move(row));
    }
    EstimatorOptions options = estimator_;
    options.multivariate = multivariate;
    const ParzenEstimator l(domains, obs_below, options), g(domains, obs_above, options);
    const auto cands = l.Sample(rng, candidates_);
    const auto log_l = l.LogPdf(cands), log_g = g.LogPdf(cands);
    std::size_t best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < cands.size(); ++c) {
      const double s = log_l[c] - log_g[c];
      if (s > best_score) {  // NaN never wins; the first maximum does, as numpy's argmax
        best_score = s;
        best = c;
      }
    }
    return cands[best];
  }

  Params Propose(const std::vector<Trial>& trials, const std::vector<bool>& below,
                 const std::vector<Group>& groups, std::mt19937_64& rng) const {
    const auto& ps = context_.space.params();
    std::vector<double> joint(ps.size(), std::nan(""));
    for (const auto& g : groups) {
      std::vector<std::size_t> members;
      for (std::size_t j : g)
        if (!domains_[j].IsSingle()) members.push_back(j);
      if (members.empty()) continue;
      const auto x = SampleJoint(members, trials, below, true, rng);
      for (std::size_t m = 0; m < members.size(); ++m) joint[members[m]] = x[m];
    }
    // Parents come before children in space order, so activity is decided on drawn values;
    // a parameter outside every group (or with multivariate off) is drawn on its own.
    Params params;
    for (std::size_t j = 0; j < ps.size(); ++j) {
      if (!context_.space.IsActive(ps[j], params)) continue;
      double x = joint[j];
      if (std::isnan(x))
        x = domains_[j].IsSingle() ? domains_[j].Snap(domains_[j].low)
                                   : SampleJoint({j}, trials, below, false, rng)[0];
      params[ps[j].name] = domains_[j].ToValue(ps[j], x);
    }
    return params;
  }

  TunerContext context_;
  std::vector<Domain> domains_;
  EstimatorOptions estimator_;
  std::size_t startup_ = 10;
  std::size_t candidates_ = 24;
  bool multivariate_ = false;
  bool group_ = true;
  bool liar_ = true;
};

}  // namespace

std::unique_ptr<Tuner> MakeTpeTuner(const TunerContext& context) {
  return std::make_unique<TpeTuner>(context);
}

}  // namespace krige::tuners
