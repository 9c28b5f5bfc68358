// The only file that includes <xgboost/c_api.h>.
#include "models/xgboost_model.hpp"

#include <xgboost/c_api.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "krige/error.hpp"
#include "models/hyperparameters.hpp"

namespace krige::training {
namespace {

// Every C API call goes through here: a non-zero return becomes krige::Error with the
// library's message.
void Check(int rc, const char* call) {
  if (rc != 0)
    throw Error(ErrorCode::kInternal, std::string("xgboost: ") + call + ": " + XGBGetLastError());
}

struct MatrixDeleter {
  void operator()(void* h) const { XGDMatrixFree(h); }
};
struct BoosterDeleter {
  void operator()(void* h) const { XGBoosterFree(h); }
};
using Matrix = std::unique_ptr<void, MatrixDeleter>;
using Booster = std::unique_ptr<void, BoosterDeleter>;

// A dense row-major float copy of `x` (XGBoost's input type); NaN marks a missing value.
Matrix MakeMatrix(const Eigen::MatrixXd& x) {
  std::vector<float> data(static_cast<std::size_t>(x.rows() * x.cols()));
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      data[static_cast<std::size_t>(r * x.cols() + c)] = static_cast<float>(x(r, c));
  DMatrixHandle h = nullptr;
  Check(XGDMatrixCreateFromMat_omp(data.data(), static_cast<bst_ulong>(x.rows()),
                                   static_cast<bst_ulong>(x.cols()),
                                   std::numeric_limits<float>::quiet_NaN(), &h, 1),
        "XGDMatrixCreateFromMat");
  return Matrix(h);
}

std::string Text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct Settings {
  int rounds = 100;        // boosting rounds (xgboost) or 1 (random forest)
  int parallel_trees = 1;  // trees per round (random forest: n_estimators)
  std::vector<std::pair<std::string, std::string>> params;  // booster parameters
};

Settings Read(HyperParameters& hp, bool forest, std::uint64_t seed) {
  const double inf = std::numeric_limits<double>::infinity();
  Settings s;
  const int n_estimators = static_cast<int>(hp.Int("n_estimators", 100, 1, 100000));
  const auto max_depth = hp.Int("max_depth", 6, 0, 64);
  const double learning_rate = hp.Float("learning_rate", forest ? 1.0 : 0.3, 0, 1, true);
  const double subsample = hp.Float("subsample", forest ? 0.8 : 1.0, 0, 1, true);
  const double colsample_bytree = hp.Float("colsample_bytree", 1.0, 0, 1, true);
  const double colsample_bynode = hp.Float("colsample_bynode", forest ? 0.8 : 1.0, 0, 1, true);
  const double min_child_weight = hp.Float("min_child_weight", 1.0, 0, inf);
  const double reg_lambda = hp.Float("reg_lambda", forest ? 1e-5 : 1.0, 0, inf);
  const double reg_alpha = hp.Float("reg_alpha", 0.0, 0, inf);
  const double gamma = hp.Float("gamma", 0.0, 0, inf);
  const std::string tree_method = hp.Choice("tree_method", "hist", {"hist", "approx", "exact"});
  if (max_depth == 0 && tree_method != "hist")
    hp.Reject("max_depth", "0 (no limit) needs tree_method hist");
  s.rounds = forest ? 1 : n_estimators;
  s.parallel_trees = forest ? n_estimators : 1;
  s.params = {{"booster", "gbtree"},
              {"verbosity", "0"},
              {"nthread", "1"},
              {"seed", std::to_string(seed)},
              {"tree_method", tree_method},
              {"max_depth", std::to_string(max_depth)},
              {"learning_rate", Text(learning_rate)},
              {"subsample", Text(subsample)},
              {"colsample_bytree", Text(colsample_bytree)},
              {"colsample_bynode", Text(colsample_bynode)},
              {"min_child_weight", Text(min_child_weight)},
              {"reg_lambda", Text(reg_lambda)},
              {"reg_alpha", Text(reg_alpha)},
              {"gamma", Text(gamma)},
              {"num_parallel_tree", std::to_string(s.parallel_trees)}};
  if (max_depth == 0) s.params.push_back({"grow_policy", "lossguide"});
  return s;
}

class Xgboost : public Model {
 public:
  explicit Xgboost(Settings settings) : settings_(std::move(settings)) {}

  void Fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, int n_classes) override {
    Start(x, y, n_classes);
    Continue(settings_.rounds);
    train_.reset();
  }

  // Boosting rounds are stages; a random forest is one round of n_estimators trees.
  int StagedRounds() const override { return settings_.parallel_trees == 1 ? settings_.rounds : 0; }

  void Start(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, int n_classes) override {
    n_classes_ = n_classes;
    rounds_done_ = 0;
    train_ = MakeMatrix(x);
    Matrix& train = train_;
    std::vector<float> labels(y.data(), y.data() + y.size());
    Check(XGDMatrixSetFloatInfo(train.get(), "label", labels.data(),
                                static_cast<bst_ulong>(labels.size())),
          "XGDMatrixSetFloatInfo");
    DMatrixHandle matrices[] = {train.get()};
    BoosterHandle h = nullptr;
    Check(XGBoosterCreate(matrices, 1, &h), "XGBoosterCreate");
    booster_.reset(h);
    auto set = [&](const std::string& name, const std::string& value) {
      Check(XGBoosterSetParam(h, name.c_str(), value.c_str()), "XGBoosterSetParam");
    };
    for (const auto& [name, value] : settings_.params) set(name, value);
    if (n_classes == 0) {
      set("objective", "reg:squarederror");
    } else if (n_classes == 2) {
      set("objective", "binary:logistic");
    } else {
      set("objective", "multi:softprob");
      set("num_class", std::to_string(n_classes));
    }
  }

  void Continue(int rounds) override {
    if (!booster_ || !train_) throw Error(ErrorCode::kFailedPrecondition, "xgboost: not started");
    for (; rounds_done_ < std::min(rounds, settings_.rounds); ++rounds_done_)
      Check(XGBoosterUpdateOneIter(booster_.get(), rounds_done_, train_.get()),
            "XGBoosterUpdateOneIter");
  }

  Eigen::VectorXd Predict(const Eigen::MatrixXd& x) const override {
    if (n_classes_ == 0) return Raw(x).col(0);
    const Eigen::MatrixXd p = PredictProbabilities(x);
    Eigen::VectorXd out(x.rows());
    for (Eigen::Index i = 0; i < p.rows(); ++i) {
      Eigen::Index best;
      p.row(i).maxCoeff(&best);
      out(i) = static_cast<double>(best);
    }
    return out;
  }

  // Unfitted: assume a classifier (regression never asks for probabilities).
  bool HasProbabilities() const override { return !booster_ || n_classes_ > 0; }
  Eigen::MatrixXd PredictProbabilities(const Eigen::MatrixXd& x) const override {
    const Eigen::MatrixXd raw = Raw(x);
    // Float softmax outputs sum to 1 within ~1e-7: renormalize in double.
    if (n_classes_ != 2) return raw.array().colwise() / raw.rowwise().sum().array();
    Eigen::MatrixXd p(x.rows(), 2);
    p.col(1) = raw.col(0);
    p.col(0) = 1.0 - raw.col(0).array();
    return p;
  }

 private:
  // rows x outputs: one column (regression, binary probability) or one per class.
  Eigen::MatrixXd Raw(const Eigen::MatrixXd& x) const {
    if (!booster_) throw Error(ErrorCode::kFailedPrecondition, "xgboost: predict before fit");
    Matrix data = MakeMatrix(x);
    bst_ulong len = 0;
    const float* out = nullptr;
    Check(XGBoosterPredict(booster_.get(), data.get(), 0, 0, 0, &len, &out), "XGBoosterPredict");
    const Eigen::Index cols = n_classes_ > 2 ? n_classes_ : 1;
    if (static_cast<Eigen::Index>(len) != x.rows() * cols)
      throw Error(ErrorCode::kInternal,
                  "xgboost: unexpected prediction length " + std::to_string(len));
    Eigen::MatrixXd m(x.rows(), cols);
    for (Eigen::Index r = 0; r < x.rows(); ++r)
      for (Eigen::Index c = 0; c < cols; ++c) m(r, c) = out[r * cols + c];
    return m;
  }

  Settings settings_;
  int n_classes_ = 0;
  int rounds_done_ = 0;
  Matrix train_;  // kept between Start and the last Continue
  Booster booster_;
};

}  // namespace

std::unique_ptr<Model> MakeXgboost(HyperParameters& hp, std::uint64_t seed) {
  return std::make_unique<Xgboost>(Read(hp, false, seed));
}

std::unique_ptr<Model> MakeRandomForest(HyperParameters& hp, std::uint64_t seed) {
  return std::make_unique<Xgboost>(Read(hp, true, seed));
}

}  // namespace krige::training
