// See fanova.hpp. The trees are CART regression trees on bootstrap samples (all features at
// every split, the split that lowers the squared error most, thresholds halfway between
// neighbouring values), as scikit-learn's RandomForestRegressor defaults that Optuna uses.
#include "fanova.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace krige::web::fanova {
namespace {

struct Node {
  int feature = -1;  // -1: a leaf
  double threshold = 0;
  int left = -1, right = -1;
  double value = 0;
};

class TreeBuilder {
 public:
  TreeBuilder(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
              int max_depth)
      : x_(x), y_(y), max_depth_(max_depth) {}

  std::vector<Node> Build(std::vector<int> rows) {
    nodes_.clear();
    Grow(rows, 0);
    return std::move(nodes_);
  }

 private:
  int Grow(std::vector<int>& rows, int depth) {
    const int id = static_cast<int>(nodes_.size());
    nodes_.emplace_back();
    double sum = 0;
    for (int r : rows) sum += y_[r];
    nodes_[id].value = sum / static_cast<double>(rows.size());
    if (rows.size() < 2 || depth >= max_depth_) return id;
    const std::size_t d = x_.empty() ? 0 : x_[0].size();
    double best_gain = 1e-12;
    int best_feature = -1;
    double best_threshold = 0;
    std::vector<int> sorted = rows;
    const double n = static_cast<double>(rows.size());
    double total_sq = 0;
    for (int r : rows) total_sq += y_[r] * y_[r];
    const double parent_sse = total_sq - sum * sum / n;
    if (parent_sse <= 1e-15) return id;
    for (std::size_t f = 0; f < d; ++f) {
      std::sort(sorted.begin(), sorted.end(), [&](int a, int b) { return x_[a][f] < x_[b][f]; });
      double left_sum = 0;
      for (std::size_t i = 0; i + 1 < sorted.size(); ++i) {
        left_sum += y_[sorted[i]];
        const double a = x_[sorted[i]][f];
        const double b = x_[sorted[i + 1]][f];
        if (!(a < b)) continue;
        const double nl = static_cast<double>(i + 1);
        const double nr = n - nl;
        const double right_sum = sum - left_sum;
        // SSE reduction = sum_l^2/n_l + sum_r^2/n_r - sum^2/n
        const double gain = left_sum * left_sum / nl + right_sum * right_sum / nr - sum * sum / n;
        if (gain > best_gain) {
          best_gain = gain;
          best_feature = static_cast<int>(f);
          best_threshold = a + (b - a) / 2;
        }
      }
    }
    if (best_feature < 0) return id;
    std::vector<int> left, right;
    for (int r : rows) (x_[r][best_feature] <= best_threshold ? left : right).push_back(r);
    rows.clear();
    rows.shrink_to_fit();
    nodes_[id].feature = best_feature;
    nodes_[id].threshold = best_threshold;
    const int l = Grow(left, depth + 1);
    nodes_[id].left = l;
    const int r = Grow(right, depth + 1);
    nodes_[id].right = r;
    return id;
  }

  const std::vector<std::vector<double>>& x_;
  const std::vector<double>& y_;
  int max_depth_;
  std::vector<Node> nodes_;
};

struct Leaf {
  std::vector<double> lo, hi;  // the leaf's box
  double value = 0;
};

void Leaves(const std::vector<Node>& nodes, int id, std::vector<double>& lo,
            std::vector<double>& hi, std::vector<Leaf>& out) {
  const Node& n = nodes[id];
  if (n.feature < 0) {
    out.push_back({lo, hi, n.value});
    return;
  }
  const double old_hi = hi[n.feature];
  hi[n.feature] = std::min(old_hi, n.threshold);
  Leaves(nodes, n.left, lo, hi, out);
  hi[n.feature] = old_hi;
  const double old_lo = lo[n.feature];
  lo[n.feature] = std::max(old_lo, n.threshold);
  Leaves(nodes, n.right, lo, hi, out);
  lo[n.feature] = old_lo;
}

}  // namespace

std::vector<double> Importance(const std::vector<Dimension>& dims,
                               const std::vector<std::vector<double>>& x,
                               const std::vector<double>& y, const Options& options) {
  const std::size_t d = dims.size();
  std::vector<double> importance(d, 0.0);
  if (d == 0 || x.size() < 2) return importance;
  std::mt19937_64 rng(options.seed);
  // A seeded subsample bounds the cost.
  std::vector<int> all(x.size());
  std::iota(all.begin(), all.end(), 0);
  if (static_cast<int>(all.size()) > options.max_samples) {
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(options.max_samples);
  }
  std::vector<double> width(d);
  for (std::size_t f = 0; f < d; ++f) width[f] = std::max(1e-300, dims[f].high - dims[f].low);

  TreeBuilder builder(x, y, options.max_depth);
  std::vector<double> sum_fraction(d, 0.0);
  int counted = 0;
  std::uniform_int_distribution<std::size_t> pick(0, all.size() - 1);
  for (int t = 0; t < options.trees; ++t) {
    std::vector<int> rows(all.size());
    for (auto& r : rows) r = all[pick(rng)];  // bootstrap
    const auto nodes = builder.Build(rows);
    std::vector<double> lo(d), hi(d);
    for (std::size_t f = 0; f < d; ++f) {
      lo[f] = dims[f].low;
      hi[f] = dims[f].high;
    }
    std::vector<Leaf> leaves;
    Leaves(nodes, 0, lo, hi, leaves);
    // Each leaf's share of the domain (uniform measure), clipped to it.
    std::vector<std::vector<double>> len(leaves.size(), std::vector<double>(d));
    std::vector<double> vol(leaves.size(), 1.0);
    for (std::size_t l = 0; l < leaves.size(); ++l)
      for (std::size_t f = 0; f < d; ++f) {
        const double a = std::max(leaves[l].lo[f], dims[f].low);
        const double b = std::min(leaves[l].hi[f], dims[f].high);
        len[l][f] = std::max(0.0, b - a) / width[f];
        vol[l] *= len[l][f];
      }
    double mean = 0;
    for (std::size_t l = 0; l < leaves.size(); ++l) mean += vol[l] * leaves[l].value;
    double total = 0;
    for (std::size_t l = 0; l < leaves.size(); ++l)
      total += vol[l] * (leaves[l].value - mean) * (leaves[l].value - mean);
    if (total <= 1e-300) continue;
    ++counted;
    for (std::size_t f = 0; f < d; ++f) {
      // The marginal of f is piecewise constant: each leaf adds value * (its share of the
      // other dimensions) on its interval of f. Sweep the interval ends.
      std::vector<std::pair<double, double>> events;  // position (0..1), change
      events.reserve(2 * leaves.size());
      for (std::size_t l = 0; l < leaves.size(); ++l) {
        if (len[l][f] <= 0) continue;
        const double rest = vol[l] / len[l][f];
        const double a = (std::max(leaves[l].lo[f], dims[f].low) - dims[f].low) / width[f];
        const double b = (std::min(leaves[l].hi[f], dims[f].high) - dims[f].low) / width[f];
        events.emplace_back(a, leaves[l].value * rest);
        events.emplace_back(b, -leaves[l].value * rest);
      }
      std::sort(events.begin(), events.end());
      double level = 0, at = 0, var = 0;
      for (const auto& [pos, change] : events) {
        if (pos > at) {
          var += (pos - at) * (level - mean) * (level - mean);
          at = pos;
        }
        level += change;
      }
      sum_fraction[f] += std::max(0.0, var) / total;
    }
  }
  if (counted == 0) return importance;
  double norm = 0;
  for (std::size_t f = 0; f < d; ++f) norm += sum_fraction[f] / counted;
  if (norm <= 0) return importance;
  for (std::size_t f = 0; f < d; ++f) importance[f] = sum_fraction[f] / counted / norm;
  return importance;
}

}  // namespace krige::web::fanova
