#include "preprocessing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "krige/error.hpp"

namespace krige::training {

Scaler Scaler::Fit(const std::string& kind, const Eigen::MatrixXd& x) {
  Scaler s;
  const auto cols = x.cols();
  s.offset_ = Eigen::RowVectorXd::Zero(cols);
  s.scale_ = Eigen::RowVectorXd::Ones(cols);
  if (kind == "none") return s;
  if (x.rows() == 0) return s;
  if (kind == "standardize") {
    s.offset_ = x.colwise().mean();
    const Eigen::MatrixXd centered = x.rowwise() - s.offset_;
    s.scale_ = (centered.colwise().squaredNorm() / static_cast<double>(x.rows())).cwiseSqrt();
  } else if (kind == "minmax") {
    s.offset_ = x.colwise().minCoeff();
    s.scale_ = x.colwise().maxCoeff() - s.offset_;
  } else {
    throw Error(ErrorCode::kInvalidArgument,
                "unknown preprocessing step \"" + kind + "\" (known: standardize, minmax, none)",
                "training.preprocessing");
  }
  // Constant columns are left unscaled, as scikit-learn does (tiny scales would blow up noise).
  for (Eigen::Index c = 0; c < cols; ++c)
    if (!(s.scale_(c) > 10 * std::numeric_limits<double>::epsilon() * std::abs(s.offset_(c))))
      s.scale_(c) = 1.0;
  return s;
}

Eigen::MatrixXd Scaler::Transform(const Eigen::MatrixXd& x) const {
  return (x.rowwise() - offset_).array().rowwise() / scale_.array();
}

Pipeline Pipeline::Fit(const std::vector<std::string>& steps, const Eigen::MatrixXd& x) {
  Pipeline p;
  Eigen::MatrixXd current = x;
  for (const auto& step : steps) {
    p.steps_.push_back(Scaler::Fit(step, current));
    current = p.steps_.back().Transform(current);
  }
  return p;
}

Eigen::MatrixXd Pipeline::Transform(const Eigen::MatrixXd& x) const {
  Eigen::MatrixXd current = x;
  for (const auto& s : steps_) current = s.Transform(current);
  return current;
}

void CheckImpute(const std::string& impute) {
  if (!impute.empty() && impute != "mean" && impute != "median" && impute != "most_frequent")
    throw Error(ErrorCode::kInvalidArgument,
                "unknown impute strategy \"" + impute + "\" (known: mean, median, most_frequent)",
                "training.impute");
}

FeatureEncoder FeatureEncoder::Fit(const Dataset& data, const std::vector<int>& rows,
                                   const std::vector<std::string>& steps,
                                   const std::string& impute) {
  CheckImpute(impute);
  FeatureEncoder e;
  const Eigen::Index cols = data.x.cols();
  e.fill_ = Eigen::RowVectorXd::Zero(cols);
  for (Eigen::Index c = 0; c < cols && !impute.empty(); ++c) {
    std::vector<double> present;
    for (int r : rows)
      if (!std::isnan(data.x(r, c))) present.push_back(data.x(r, c));
    if (present.empty()) continue;
    std::sort(present.begin(), present.end());
    const std::size_t m = present.size();
    if (impute == "median") {
      e.fill_(c) = m % 2 ? present[m / 2] : (present[m / 2 - 1] + present[m / 2]) / 2;
    } else if (impute == "most_frequent") {
      // The smallest of the most frequent values (scikit-learn's tie rule).
      std::size_t best = 0;
      for (std::size_t i = 0, j; i < m; i = j) {
        for (j = i; j < m && present[j] == present[i]; ++j) {
        }
        if (j - i > best) {
          best = j - i;
          e.fill_(c) = present[i];
        }
      }
    } else {
      double sum = 0;
      for (double v : present) sum += v;
      e.fill_(c) = sum / static_cast<double>(m);
    }
  }
  for (const auto& cat : data.categorical) {
    std::vector<int> counts(cat.levels.size());
    for (int r : rows)
      if (cat.code[r] >= 0) ++counts[cat.code[r]];
    std::vector<int> map(cat.levels.size(), -1);
    int width = 0;
    for (std::size_t l = 0; l < counts.size(); ++l)
      if (counts[l] > 0) map[l] = width++;
    e.onehot_.push_back(std::move(map));
    e.widths_.push_back(width);
    e.cat_fill_.push_back(
        static_cast<int>(std::max_element(counts.begin(), counts.end()) - counts.begin()));
  }
  e.scaler_ = Pipeline::Fit(steps, e.Numeric(data, rows));
  return e;
}

Eigen::MatrixXd FeatureEncoder::Numeric(const Dataset& data, const std::vector<int>& rows) const {
  Eigen::MatrixXd x = data.x(rows, Eigen::all);
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      if (std::isnan(x(r, c))) x(r, c) = fill_(c);
  return x;
}

Eigen::Index FeatureEncoder::n_outputs() const {
  Eigen::Index n = fill_.size();
  for (int w : widths_) n += w;
  return n;
}

Eigen::MatrixXd FeatureEncoder::Transform(const Dataset& data, const std::vector<int>& rows) const {
  const Eigen::Index numeric = fill_.size();
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(rows.size()), n_outputs());
  out.leftCols(numeric) = scaler_.Transform(Numeric(data, rows));
  Eigen::Index offset = numeric;
  for (std::size_t k = 0; k < data.categorical.size(); ++k) {
    const auto& cat = data.categorical[k];
    for (std::size_t i = 0; i < rows.size(); ++i) {
      int level = cat.code[rows[i]];
      if (level < 0) level = cat_fill_[k];
      const int col = onehot_[k][level];
      if (col >= 0) out(static_cast<Eigen::Index>(i), offset + col) = 1.0;
    }
    offset += widths_[k];
  }
  return out;
}

}  // namespace krige::training
