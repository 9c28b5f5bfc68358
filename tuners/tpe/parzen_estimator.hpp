// The Parzen estimator of TPE: a mixture of truncated Gaussians (numeric parameters) and
// smoothed one-hot distributions (categorical parameters), one component per observation plus
// a prior component, as Optuna's `_ParzenEstimator` builds it (optuna/samplers/_tpe/).
//
// Values live on an internal axis: log(value) for log-scale parameters, the value otherwise,
// the choice index for categoricals. Discrete parameters (ints, stepped floats) are densities
// of the probability mass of each admissible value's bin, so l(x)/g(x) compares masses.
//
// Thread-safety: immutable after construction; Sample takes the caller's generator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "krige/params.hpp"
#include "krige/space.hpp"

namespace krige::tuners::tpe {

// One parameter as the estimator sees it.
struct Domain {
  enum class Kind {
    kContinuous,   // float (log or linear)
    kLinearGrid,   // int or stepped float on a linear axis: bins of width `step`
    kLogGrid,      // log-scale int (or stepped float): bins [log(v - step/2), log(v + step/2)]
    kCategorical,  // `choices` choices
  };
  Kind kind = Kind::kContinuous;
  double low = 0, high = 1;  // the internal axis, bins included (Optuna's "parzen bounds")
  double first = 0;          // grids: the first admissible value (external scale)
  double last = 0;           // grids: the last admissible value (external scale)
  double step = 0;           // grids: spacing of admissible values (external scale)
  std::size_t choices = 0;   // categoricals
  bool log = false;          // the internal axis is log(value)

  // The domain of `spec` (a float with low == high is a single value: IsSingle()).
  static Domain Of(const ParamSpec& spec);
  bool IsSingle() const;
  // The internal coordinate of an admissible value (NaN for a value outside the domain's type).
  double ToInternal(const ParamSpec& spec, const ParamValue& value) const;
  // The admissible value nearest to internal coordinate x, and its internal coordinate.
  ParamValue ToValue(const ParamSpec& spec, double x) const;
  double Snap(double x) const;
};

struct EstimatorOptions {
  double prior_weight = 1.0;
  bool magic_clip = true;     // Optuna's consider_magic_clip: sigma >= range / min(100, n + 2)
  bool endpoints = false;     // Optuna's consider_endpoints
  bool multivariate = false;  // Scott-like bandwidth shared by all components (BOHB), else
                              // each component's distance to its farther neighbour
};

// Optuna's default_weights: 1 for the last 25 observations, a linear ramp from 1/n to 1 for
// the older ones (observations in chronological order).
std::vector<double> DefaultWeights(std::size_t n);
// Optuna's default_gamma: how many of n completed trials form the "below" group.
std::size_t DefaultGamma(std::size_t n);

// Which observations form the "below" group: the n_below lowest losses (ties: the older
// first), where pending observations (constant liar) rank after every completed one.
// Observations in chronological order; below[i] for observation i.
std::vector<bool> SplitBelow(const std::vector<double>& losses, const std::vector<bool>& pending,
                             std::size_t n_below);

// A set of parameters (indices into the space) sampled jointly.
using Group = std::set<std::size_t>;
// Optuna's group decomposition (_SearchSpaceGroup): refining over the trials' parameter sets
// in order, the groups are maximal sets of parameters that every trial has all or none of.
std::vector<Group> DecomposeGroups(const std::vector<Group>& trial_keys);
// The parameters every trial has (Optuna's intersection search space); empty for no trials.
Group Intersection(const std::vector<Group>& trial_keys);

class ParzenEstimator {
 public:
  // observations[i][j]: internal coordinate of parameter j in observation i (chronological).
  ParzenEstimator(std::vector<Domain> domains, const std::vector<std::vector<double>>& observations,
                  const EstimatorOptions& options);

  // `size` draws (internal coordinates, snapped to admissible values).
  std::vector<std::vector<double>> Sample(std::mt19937_64& rng, std::size_t size) const;
  // log density (numeric) / log mass (discrete, categorical) of each point under the mixture.
  std::vector<double> LogPdf(const std::vector<std::vector<double>>& points) const;

  // The mixture, for tests: component weights (observations then the prior), and per
  // parameter the components' centres and widths (numeric) or choice probabilities
  // (categorical, row-major components x choices).
  const std::vector<double>& weights() const { return weights_; }
  const std::vector<double>& mus(std::size_t j) const { return mus_[j]; }
  const std::vector<double>& sigmas(std::size_t j) const { return sigmas_[j]; }
  const std::vector<double>& categorical(std::size_t j) const { return categorical_[j]; }

 private:
  std::vector<Domain> domains_;
  std::vector<double> weights_;
  std::vector<std::vector<double>> mus_, sigmas_, categorical_;
};

// A uniform double in [0, 1) from 53 bits of the generator (portable, unlike
// std::uniform_real_distribution).
double Uniform01(std::mt19937_64& rng);

}  // namespace krige::tuners::tpe
