#include "preprocessing.hpp"

#include <cmath>
#include <limits>

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

}  // namespace krige::training
