#include "grid/grid_tuner.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "krige/error.hpp"

namespace krige::tuners {
namespace {

constexpr std::size_t kMaxGridPoints = 1000000;

void AddUnique(std::vector<ParamValue>& out, ParamValue v) {
  if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
}

ParamValue Typed(const ParamSpec& p, double v) {
  if (p.type == ParamType::kInt) return static_cast<std::int64_t>(std::llround(v));
  return v;
}

// Snap a value onto the parameter's step lattice (ints: step 1 by default).
double Snap(const ParamSpec& p, double v) {
  const double step = p.step > 0 ? p.step : (p.type == ParamType::kInt ? 1.0 : 0.0);
  if (step <= 0) return v;
  const double k = std::round((v - p.low) / step);
  double s = p.low + k * step;
  while (s > p.high + 1e-12) s -= step;
  return std::max(p.low, s);
}

std::vector<ParamValue> AxisValues(const ParamSpec& p) {
  std::vector<ParamValue> out;
  const std::string field = "space." + p.name;
  if (p.type == ParamType::kCategorical) return p.choices;
  if (!p.values.empty()) {
    for (const auto& v : p.values) AddUnique(out, Typed(p, AsDouble(v)));
    return out;
  }
  if (p.grid_points >= 2) {
    for (int j = 0; j < p.grid_points; ++j) {
      const double t = static_cast<double>(j) / (p.grid_points - 1);
      double v = p.log ? std::exp(std::log(p.low) + t * (std::log(p.high) - std::log(p.low)))
                       : p.low + t * (p.high - p.low);
      if (j == 0) v = p.low;
      if (j == p.grid_points - 1) v = p.high;
      AddUnique(out, Typed(p, Snap(p, v)));
    }
    return out;
  }
  const double step = p.step > 0 ? p.step : 1.0;
  if (p.type == ParamType::kInt || p.step > 0) {
    const double count = std::floor((p.high - p.low) / step + 1e-9) + 1;
    if (count > kMaxGridPoints)
      throw Error(ErrorCode::kInvalidArgument,
                  "grid: parameter \"" + p.name + "\" has too many values; set grid_points",
                  field + ".grid_points");
    // Points of a lattice are distinct: no search for duplicates (up to 1e6 of them).
    out.reserve(static_cast<std::size_t>(count));
    for (double k = 0; k < count; ++k) out.push_back(Typed(p, p.low + k * step));
    return out;
  }
  throw Error(ErrorCode::kInvalidArgument,
              "grid: float parameter \"" + p.name + "\" needs grid_points or values",
              field + ".grid_points");
}

void Enumerate(const SearchSpace& space, const std::vector<std::vector<ParamValue>>& axes,
               std::size_t i, Params& current, std::vector<Params>& out) {
  const auto& ps = space.params();
  if (i == ps.size()) {
    if (out.size() >= kMaxGridPoints)
      throw Error(ErrorCode::kInvalidArgument, "grid: more than 1e6 points", "space");
    out.push_back(current);
    return;
  }
  if (!space.IsActive(ps[i], current)) {  // collapses: no branching on an inactive parameter
    Enumerate(space, axes, i + 1, current, out);
    return;
  }
  for (const auto& v : axes[i]) {
    current[ps[i].name] = v;
    Enumerate(space, axes, i + 1, current, out);
  }
  current.erase(ps[i].name);
}

class GridTuner : public Tuner {
 public:
  explicit GridTuner(const TunerContext& context) : points_(GridPoints(context.space)) {
    const auto it = context.options.find("retry_failed");
    retry_failed_ = it != context.options.end() && it->second != 0;
  }

  std::vector<Suggestion> Suggest(const History& history, int n) const override {
    std::set<Params> taken(history.pending.begin(), history.pending.end());
    for (const auto& o : history.completed) taken.insert(o.params);
    if (!retry_failed_) taken.insert(history.failed.begin(), history.failed.end());
    std::vector<Suggestion> out;
    for (std::size_t i = 0; i < points_.size() && static_cast<int>(out.size()) < n; ++i)
      if (!taken.count(points_[i])) out.push_back({points_[i], ""});
    return out;
  }

  std::optional<std::size_t> Capacity() const override { return points_.size(); }

 private:
  std::vector<Params> points_;
  bool retry_failed_ = false;
};

}  // namespace

std::vector<Params> GridPoints(const SearchSpace& space) {
  std::vector<std::vector<ParamValue>> axes;
  for (const auto& p : space.params()) axes.push_back(AxisValues(p));
  std::vector<Params> out;
  Params current;
  Enumerate(space, axes, 0, current, out);
  return out;
}

std::unique_ptr<Tuner> MakeGridTuner(const TunerContext& context) {
  return std::make_unique<GridTuner>(context);
}

}  // namespace krige::tuners
