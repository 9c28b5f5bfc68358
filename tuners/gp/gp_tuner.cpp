#include "gp/gp_tuner.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlopt.hpp>
#include <numeric>
#include <random>
#include <set>

#include "gp/gp_model.hpp"
#include "random/random_tuner.hpp"
#include "sobol/sobol_tuner.hpp"
#include "space_encoder/space_encoder.hpp"

namespace krige::tuners {
namespace {

using gp::Matrix;
using gp::Vector;

double YeoJohnson(double y, double lambda) {
  if (y >= 0)
    return std::fabs(lambda) < 1e-9 ? std::log1p(y) : (std::pow(y + 1, lambda) - 1) / lambda;
  return std::fabs(lambda - 2) < 1e-9 ? -std::log1p(-y)
                                      : -(std::pow(1 - y, 2 - lambda) - 1) / (2 - lambda);
}

void Standardize(Vector& y) {
  const double mean = y.mean();
  const double sd = std::sqrt((y.array() - mean).square().sum() / std::max<double>(1, y.size()));
  y = ((y.array() - mean) / (sd > 1e-12 ? sd : 1.0)).matrix();
}

// True when one value of the worse half is shared by at least 10% of all values (and at least
// three): a plateau of failures in all but name (a classifier that predicts the majority
// class), as discrete objectives such as accuracy have. Continuous objectives do not have
// plateaus; an occasional pair of equal values (Rosenbrock meets some) is not one.
bool WorseHalfHasPlateau(const Vector& y) {
  std::vector<double> v(y.data(), y.data() + y.size());
  std::sort(v.begin(), v.end());
  const std::size_t need = std::max<std::size_t>(3, (v.size() + 9) / 10);
  std::size_t run = 1;
  for (std::size_t i = v.size() / 2 + 1; i < v.size(); ++i) {
    run = v[i] == v[i - 1] ? run + 1 : 1;
    if (run >= need) return true;
  }
  return false;
}

// Half-rank warping (half_rank 1: always; 2: when the worse half has a plateau), then standardize,
// then (optionally) a Yeo-Johnson power transform with lambda chosen by maximum likelihood, as
// HEBO does: heavy-tailed objectives (Rosenbrock, losses that blow up) stop dominating the fit,
// and the region near the best gets more resolution. Half-rank is not always on: on smooth
// objectives its rank-valued worse half costs precision near the optimum (Branin regret at 100
// evaluations 2.2e-07 -> 1.5e-06 over 10 seeds).
Vector WarpedTargets(Vector y, bool warp, int half_rank) {
  if (half_rank == 1 || (half_rank == 2 && WorseHalfHasPlateau(y))) y = gp::HalfRank(y);
  Standardize(y);
  if (!warp || y.size() < 5) return y;
  const double n = static_cast<double>(y.size());
  double log_jacobian_unit = 0;
  for (double v : y) log_jacobian_unit += (v >= 0 ? 1 : -1) * std::log1p(std::fabs(v));
  double best_lambda = 1, best_ll = -std::numeric_limits<double>::infinity();
  for (double lambda = -2.0; lambda <= 1.0 + 1e-9; lambda += 0.1) {
    Vector t = y.unaryExpr([&](double v) { return YeoJohnson(v, lambda); });
    const double var = (t.array() - t.mean()).square().sum() / n;
    if (!(var > 0) || !std::isfinite(var)) continue;
    const double ll = -0.5 * n * std::log(var) + (lambda - 1) * log_jacobian_unit;
    if (ll > best_ll) {
      best_ll = ll;
      best_lambda = lambda;
    }
  }
  y = y.unaryExpr([&](double v) { return YeoJohnson(v, best_lambda); });
  Standardize(y);
  return y;
}

struct Model {
  gp::Posterior posterior;
  double best = 0;            // lowest standardized target among real observations
  Matrix top;                 // the best observed points, centres of local candidates
  Vector lo, hi;              // where the acquisition looks: the whole cube, or the trust region
  std::optional<double> lie;  // the value a pending point is fantasized at; none: its mean
};

class GpTuner : public Tuner {
 public:
  explicit GpTuner(TunerContext context) : context_(std::move(context)), encoder_(context_.space) {
    const double d = static_cast<double>(encoder_.dims());
    n_initial_ = static_cast<std::size_t>(
        std::max(1.0, context_.Option("n_initial", std::min(std::max(d + 1, 5.0), 10.0))));
    warp_ = context_.Option("warp", 1) != 0;
    restarts_ = std::max(1, static_cast<int>(context_.Option("fit_restarts", 2)));
    max_fit_ = std::max(10, static_cast<int>(context_.Option("max_fit_points", 150)));
    candidates_ = std::max(16, static_cast<int>(context_.Option("candidates", 1024)));
    half_rank_ = static_cast<int>(context_.Option("half_rank", 2));
    int numeric = 0;
    for (const auto& b : encoder_.blocks())
      numeric += encoder_.space().params()[b.param].type != ParamType::kCategorical;
    const int tr = static_cast<int>(context_.Option("trust_region", 2));
    trust_region_ = tr == 1 || (tr == 2 && numeric >= kTrustRegionDims);
    batch_ = std::clamp(static_cast<int>(context_.Option("batch", 0)), 0, 4);
    // Clamped: beyond a few thousand points one Cholesky costs seconds.
    max_posterior_ =
        std::clamp(static_cast<Eigen::Index>(context_.Option("max_posterior_points", 2000)),
                   Eigen::Index{100}, Eigen::Index{kMaxPosterior});
    ShiftedSobolPoints(encoder_.unit_dims(), 0, 0, 0);  // throws now for > 3667 parameters
  }

  std::vector<Suggestion> Suggest(const History& history, int n) const override {
    std::set<Params> taken(history.pending.begin(), history.pending.end());
    taken.insert(history.failed.begin(), history.failed.end());
    std::size_t usable = 0;
    for (const auto& o : history.completed) {
      taken.insert(o.params);
      usable += std::isfinite(o.value);
    }
    std::vector<Suggestion> out;
    std::optional<Model> model;
    bool model_tried = false;
    std::string why;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t k = history.size() + i;
      const bool initial = k < n_initial_ || usable < 2;
      if (!initial && !model_tried) {
        model_tried = true;
        model = BuildModel(history, &why);
      }
      std::optional<Params> pick;
      std::string note;
      if (!initial && model) {
        pick = Acquire(*model, k, taken);
        if (!pick) note = "gp: every good candidate was already taken; fell back to sobol";
      } else if (!initial) {
        note = "gp: " + why + "; fell back to sobol";
      } else if (k >= n_initial_) {
        note = "gp: fewer than 2 completed trials; sobol";
      }
      if (!pick) pick = SobolPoint(k, taken);
      if (!pick) break;  // the space is exhausted
      taken.insert(*pick);
      if (model && batch_ != 4) model->posterior.AddFantasy(Encode(*pick), model->lie);
      out.push_back({std::move(*pick), std::move(note)});
    }
    return out;
  }

 private:
  Vector Encode(const Params& p) const {
    const auto x = encoder_.Encode(p);
    return Eigen::Map<const Vector>(x.data(), static_cast<Eigen::Index>(x.size()));
  }
  std::vector<double> ToStd(const Vector& x) const { return {x.data(), x.data() + x.size()}; }
  Vector Canonical(const Vector& x) const {
    const auto c = encoder_.Canonical(ToStd(x));
    return Eigen::Map<const Vector>(c.data(), static_cast<Eigen::Index>(c.size()));
  }

  std::optional<Params> SobolPoint(std::uint64_t k, const std::set<Params>& taken) const {
    Params p = SobolParams(context_.space, context_.seed, k);
    for (std::uint64_t retry = 1; taken.count(p) && retry < 64; ++retry)
      p = SobolParams(context_.space, context_.seed, k + (retry << 40));
    for (std::uint64_t retry = 1; taken.count(p) && retry < 64; ++retry)
      p = SampleUniform(context_.space, DeriveSeed(context_.seed ^ 0x5eed, k + (retry << 40)));
    if (taken.count(p)) return std::nullopt;
    return p;
  }

  std::optional<Model> BuildModel(const History& history, std::string* why) const {
    std::vector<const Observation*> obs;
    for (const auto& o : history.completed)
      if (std::isfinite(o.value)) obs.push_back(&o);  // failed and non-finite: out of the fit
    const auto n = static_cast<Eigen::Index>(obs.size());
    const auto d = static_cast<Eigen::Index>(encoder_.dims());
    Matrix X(n, d);
    Vector y(n);
    const double sign = context_.goal == Goal::kMaximize ? -1.0 : 1.0;  // model minimizes
    for (Eigen::Index i = 0; i < n; ++i) {
      X.row(i) = Encode(obs[i]->params).transpose();
      y[i] = sign * obs[i]->value;
    }
    y = WarpedTargets(y, warp_, half_rank_);

    // Hyperparameters from at most max_fit_ trials: the best quarter and a seeded sample.
    std::vector<Eigen::Index> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return y[a] < y[b]; });
    Matrix Xf = X;
    Vector yf = y;
    if (n > max_fit_) {
      const Eigen::Index keep_best = max_fit_ / 4;
      std::mt19937_64 rng(DeriveSeed(context_.seed, 0xF17'0000'0000ULL + n));
      std::shuffle(order.begin() + keep_best, order.end(), rng);
      Xf.resize(max_fit_, d);
      yf.resize(max_fit_);
      for (Eigen::Index i = 0; i < max_fit_; ++i) {
        Xf.row(i) = X.row(order[i]);
        yf[i] = y[order[i]];
      }
      std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return y[a] < y[b]; });
    }
    gp::FitOptions fit;
    fit.restarts = restarts_;
    fit.seed = DeriveSeed(context_.seed, 0xF17'0000'0000ULL ^ history.size());
    const Vector theta =
        gp::FitHyperparameters(Xf, yf, gp::HyperPrior::Default(static_cast<int>(d)), fit);
    if (!theta.allFinite()) {
      *why = "hyperparameter fit failed";
      return std::nullopt;
    }
    // Beyond max_posterior_ trials the posterior is conditioned on a subset (the best quarter,
    // the most recent quarter, a seeded sample of the rest), so a suggestion's cost stops
    // growing with the history; the best trials, where EI looks, are always in it.
    if (n > max_posterior_) {
      const Eigen::Index m = max_posterior_, best = m / 4, recent = m / 4;
      std::vector<char> in(static_cast<std::size_t>(n), 0);
      std::vector<Eigen::Index> subset;
      auto add = [&](Eigen::Index i) {
        if (!in[static_cast<std::size_t>(i)]) {
          in[static_cast<std::size_t>(i)] = 1;
          subset.push_back(i);
        }
      };
      for (Eigen::Index i = 0; i < best; ++i) add(order[i]);
      for (Eigen::Index i = n - 1;
           i >= 0 && static_cast<Eigen::Index>(subset.size()) < best + recent; --i)
        add(i);
      std::vector<Eigen::Index> rest;
      for (Eigen::Index i = 0; i < n; ++i)
        if (!in[static_cast<std::size_t>(i)]) rest.push_back(i);
      std::mt19937_64 rng(DeriveSeed(context_.seed, 0x9057'0000'0000ULL + n));
      std::shuffle(rest.begin(), rest.end(), rng);
      for (Eigen::Index i : rest) {
        if (static_cast<Eigen::Index>(subset.size()) >= m) break;
        add(i);
      }
      Matrix Xs(m, d);
      Vector ys(m);
      for (Eigen::Index i = 0; i < m; ++i) {
        Xs.row(i) = X.row(subset[static_cast<std::size_t>(i)]);
        ys[i] = y[subset[static_cast<std::size_t>(i)]];
      }
      auto posterior = gp::Posterior::Make(Xs, ys, theta, why);
      if (!posterior) return std::nullopt;
      return Finish(std::move(*posterior), X, y, order, obs, history);
    }
    auto posterior = gp::Posterior::Make(X, y, theta, why);
    if (!posterior) return std::nullopt;
    return Finish(std::move(*posterior), X, y, order, obs, history);
  }

  // TuRBO's side length (Eriksson et al., "Scalable Global Optimization via Local Bayesian
  // Optimization", 2019), replayed from the history so that the tuner stays stateless: 0.8 at
  // the end of the initial design, doubled (up to 1.6) after 3 improvements in a row, halved
  // after 4 trials in a row without one, back to 0.8 below 0.5^7. TuRBO halves after
  // max(4, d) failures; at the suite's budgets (<= 200) 4 shrinks soon enough to pay off
  // (docs/tuners.md, gp).
  double TrustRegionLength(const std::vector<const Observation*>& obs) const {
    const double sign = context_.goal == Goal::kMaximize ? -1.0 : 1.0;
    constexpr int kSuccesses = 3, kFailures = 4;
    constexpr double kInitial = 0.8, kMax = 1.6, kMin = 0.0078125;  // 0.5^7
    double length = kInitial, best = std::numeric_limits<double>::infinity();
    int succ = 0, fail = 0;
    for (std::size_t i = 0; i < obs.size(); ++i) {
      const double v = sign * obs[i]->value;
      if (i >= n_initial_) {
        const bool improved = v < best - 1e-3 * std::fabs(best);
        succ = improved ? succ + 1 : 0;
        fail = improved ? 0 : fail + 1;
        if (succ >= kSuccesses) {
          length = std::min(2 * length, kMax);
          succ = 0;
        } else if (fail >= kFailures) {
          length /= 2;
          fail = 0;
        }
        if (length < kMin) length = kInitial;
      }
      best = std::min(best, v);
    }
    return length;
  }

  Model Finish(gp::Posterior posterior, const Matrix& X, const Vector& y,
               const std::vector<Eigen::Index>& order, const std::vector<const Observation*>& obs,
               const History& history) const {
    Model model{std::move(posterior),   y.minCoeff(),           Matrix(),
                Vector::Zero(X.cols()), Vector::Ones(X.cols()), std::nullopt};
    const auto top = std::min<Eigen::Index>(5, X.rows());
    model.top.resize(top, X.cols());
    for (Eigen::Index i = 0; i < top; ++i) model.top.row(i) = X.row(order[i]);
    if (trust_region_) {
      // A box around the best point, its sides in proportion to the lengthscales (geometric
      // mean 1), over the numeric coordinates; categorical coordinates stay free.
      std::vector<Eigen::Index> numeric;
      for (const auto& b : encoder_.blocks())
        if (encoder_.space().params()[b.param].type != ParamType::kCategorical)
          numeric.push_back(static_cast<Eigen::Index>(b.offset));
      const Vector& theta = model.posterior.theta();
      double log_mean = 0;
      for (auto c : numeric) log_mean += theta[c];
      log_mean /= static_cast<double>(std::max<std::size_t>(1, numeric.size()));
      const double length = TrustRegionLength(obs);
      for (auto c : numeric) {
        const double half = 0.5 * length * std::exp(theta[c] - log_mean);
        model.lo[c] = std::max(0.0, X(order[0], c) - half);
        model.hi[c] = std::min(1.0, X(order[0], c) + half);
      }
    }
    // Pending trials: batch 0 (default), kriging believer, at the posterior mean; 1, constant
    // liar at the worst observed value (Ginsbourger et al. 2010); 2, at the mean observed value;
    // 3, at the best; 4, no fantasy (pending points are only kept from being suggested again).
    // On the suite with 4 and 8 pending, 1-4 did worse than 0 (docs/tuners.md, batches).
    // Without pending trials the model is the same whatever the strategy.
    if (batch_ == 1) model.lie = y.maxCoeff();
    if (batch_ == 2) model.lie = y.mean();
    if (batch_ == 3) model.lie = y.minCoeff();
    if (batch_ != 4)
      for (const auto& p : history.pending) model.posterior.AddFantasy(Encode(p), model.lie);
    return model;
  }

  Vector Score(const Model& m, const Matrix& rows) const {
    Vector mean, var;
    m.posterior.Predict(rows, mean, var);
    Vector s(rows.rows());
    for (Eigen::Index i = 0; i < rows.rows(); ++i)
      s[i] = gp::LogExpectedImprovement(mean[i], var[i], m.best);
    return s.unaryExpr([](double v) { return std::isfinite(v) ? v : -1e300; });
  }

  // L-BFGS on the active continuous (and relaxed integer) coordinates.
  Vector LocalOptimize(const Model& m, Vector x, double& score) const {
    const Params p = encoder_.Decode(ToStd(x));
    std::vector<Eigen::Index> free;
    for (const auto& b : encoder_.blocks()) {
      const auto& spec = encoder_.space().params()[b.param];
      if (spec.type != ParamType::kCategorical &&
          (spec.step == 0 || spec.type == ParamType::kInt) && p.count(spec.name))
        free.push_back(static_cast<Eigen::Index>(b.offset));
    }
    if (free.empty()) return x;
    struct Data {
      const Model* m;
      Vector* x;
      const std::vector<Eigen::Index>* free;
      Vector best;
      double best_value;
    } data{&m, &x, &free, x, score};
    auto f = [](const std::vector<double>& v, std::vector<double>& grad, void* raw) {
      auto* d = static_cast<Data*>(raw);
      for (std::size_t j = 0; j < v.size(); ++j) (*d->x)[(*d->free)[j]] = v[j];
      double mean, var;
      Vector dmean, dvar;
      d->m->posterior.PredictWithGradient(*d->x, mean, var, dmean, dvar);
      double gm = 0, gv = 0;
      const double value = gp::LogExpectedImprovement(mean, var, d->m->best, &gm, &gv);
      if (!std::isfinite(value)) {
        std::fill(grad.begin(), grad.end(), 0.0);
        return 1e300;
      }
      for (std::size_t j = 0; j < grad.size(); ++j)
        grad[j] = -(gm * dmean[(*d->free)[j]] + gv * dvar[(*d->free)[j]]);
      if (value > d->best_value) {
        d->best_value = value;
        d->best = *d->x;
      }
      return -value;
    };
    nlopt::opt opt(nlopt::LD_LBFGS, static_cast<unsigned>(free.size()));
    std::vector<double> lower, upper;
    for (auto j : free) {
      lower.push_back(m.lo[j]);
      upper.push_back(m.hi[j]);
    }
    opt.set_lower_bounds(lower);
    opt.set_upper_bounds(upper);
    opt.set_min_objective(f, &data);
    opt.set_maxeval(40);
    opt.set_xtol_rel(1e-6);
    std::vector<double> v;
    for (auto j : free) v.push_back(std::clamp(x[j], m.lo[j], m.hi[j]));
    double value = 0;
    try {
      opt.optimize(v, value);
    } catch (...) {
      // A failed line search: keep the best point seen.
    }
    score = data.best_value;
    return data.best;
  }

  // Hill-climbing over int, stepped-float and categorical parameters, one change at a time.
  Vector NeighbourhoodSearch(const Model& m, Vector x, double& score) const {
    const auto& specs = encoder_.space().params();
    for (int sweep = 0; sweep < 4; ++sweep) {
      const Params p = encoder_.Decode(ToStd(x));
      std::vector<Vector> nbrs;
      for (const auto& b : encoder_.blocks()) {
        const auto& spec = specs[b.param];
        if (!b.discrete || !p.count(spec.name)) continue;
        if (spec.type == ParamType::kCategorical) {
          for (std::size_t j = 0; j < b.width; ++j) {
            if (x[b.offset + j] == 1.0) continue;
            Vector y = x;
            y.segment(b.offset, b.width).setZero();
            y[b.offset + j] = 1.0;
            nbrs.push_back(Canonical(y));
          }
        } else {
          const double step = spec.step > 0 ? spec.step : 1.0;
          for (double dir : {-1.0, 1.0}) {
            const double v = AsDouble(p.at(spec.name)) + dir * step;
            if (v < spec.low - 1e-9 || v > spec.high + 1e-9) continue;
            Vector y = x;
            y[b.offset] = SpaceEncoder::NumericPosition(spec, v);
            nbrs.push_back(Canonical(y));
          }
        }
      }
      if (nbrs.empty()) break;
      Matrix rows(static_cast<Eigen::Index>(nbrs.size()), x.size());
      for (std::size_t i = 0; i < nbrs.size(); ++i) rows.row(i) = nbrs[i].transpose();
      const Vector s = Score(m, rows);
      Eigen::Index best;
      const double top = s.maxCoeff(&best);
      if (!(top > score + 1e-9)) break;
      score = top;
      x = nbrs[best];
    }
    return x;
  }

  std::optional<Params> Acquire(const Model& m, std::uint64_t k,
                                const std::set<Params>& taken) const {
    const auto d = static_cast<Eigen::Index>(encoder_.dims());
    std::vector<Vector> cands;
    for (const auto& u :
         ShiftedSobolPoints(encoder_.unit_dims(), DeriveSeed(context_.seed, 0xACE'0000'0000ULL + k),
                            0, static_cast<std::size_t>(candidates_))) {
      Vector x = Encode(encoder_.DecodeUnit(u));
      if (trust_region_) {
        x = (m.lo.array() + x.array() * (m.hi - m.lo).array()).matrix();
        x = Canonical(x);
      }
      cands.push_back(std::move(x));
    }
    // Local candidates around the incumbents: most of the gain late in a run is there.
    std::mt19937_64 rng(DeriveSeed(context_.seed, 0x10C'0000'0000ULL + k));
    std::normal_distribution<double> normal(0.0, 1.0);
    for (Eigen::Index t = 0; t < m.top.rows(); ++t)
      for (int j = 0; j < 32; ++j) {
        const double scale = j % 2 ? 0.02 : 0.1;
        Vector y = m.top.row(t).transpose();
        for (Eigen::Index c = 0; c < d; ++c)
          y[c] = std::min(m.hi[c], std::max(m.lo[c], y[c] + scale * normal(rng)));
        cands.push_back(Canonical(y));
      }
    Matrix rows(static_cast<Eigen::Index>(cands.size()), d);
    for (std::size_t i = 0; i < cands.size(); ++i) rows.row(i) = cands[i].transpose();
    const Vector scores = Score(m, rows);

    std::vector<std::pair<double, Vector>> pool;
    for (std::size_t i = 0; i < cands.size(); ++i) pool.push_back({scores[i], cands[i]});
    std::vector<std::size_t> idx(cands.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return scores[a] > scores[b]; });
    std::set<Params> refined;
    for (std::size_t r = 0; r < idx.size() && refined.size() < 5; ++r) {
      if (!refined.insert(encoder_.Decode(ToStd(cands[idx[r]]))).second) continue;
      double score = scores[idx[r]];
      Vector x = LocalOptimize(m, cands[idx[r]], score);
      x = Canonical(x);
      score = Score(m, x.transpose())[0];
      x = NeighbourhoodSearch(m, x, score);
      pool.push_back({score, x});
    }
    std::stable_sort(pool.begin(), pool.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [score, x] : pool) {
      Params p = encoder_.Decode(ToStd(x));
      if (!taken.count(p)) return p;
    }
    return std::nullopt;
  }

  TunerContext context_;
  SpaceEncoder encoder_;
  std::size_t n_initial_ = 5;
  bool warp_ = true;
  int restarts_ = 2;
  Eigen::Index max_fit_ = 150;
  int candidates_ = 1024;
  int half_rank_ = 2;
  bool trust_region_ = false;
  int batch_ = 0;
  static constexpr int kTrustRegionDims = 8;
  static constexpr int kMaxPosterior = 5000;
  Eigen::Index max_posterior_ = 2000;
};

}  // namespace

std::unique_ptr<Tuner> MakeGpTuner(const TunerContext& context) {
  return std::make_unique<GpTuner>(context);
}

}  // namespace krige::tuners
