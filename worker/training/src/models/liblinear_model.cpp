// The only file that includes <linear.h>: its global C names (model, problem, parameter,
// train, predict) would clash with ours anywhere else.
#include "models/liblinear_model.hpp"

#include <linear.h>

#include <cstdlib>
#include <limits>
#include <mutex>
#include <vector>

#include "krige/error.hpp"
#include "models/class_weight.hpp"
#include "models/hyperparameters.hpp"
#include "models/sparse_rows.hpp"

namespace krige::training {
namespace {

void Silent(const char*) {}

void SilenceOnce() {
  static std::once_flag once;
  std::call_once(once, [] { set_print_string_function(&Silent); });
}

// Solvers that draw from rand() (coordinate descent with random permutations) are serialized
// and reseeded, so results do not depend on what other threads did.
std::mutex& RandMutex() {
  static std::mutex mu;
  return mu;
}

bool UsesRand(int solver) {
  return solver != L2R_LR && solver != L2R_L2LOSS_SVC;
}

struct ModelDeleter {
  void operator()(struct model* m) const { free_and_destroy_model(&m); }
};

using Rows = SparseRows<feature_node>;

class LiblinearClassifier : public Model {
 public:
  LiblinearClassifier(int solver, double c, double tol, double bias, bool probabilities,
                      bool balanced)
      : solver_(solver),
        c_(c),
        tol_(tol),
        bias_(bias),
        probabilities_(probabilities),
        balanced_(balanced) {}

  void Fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, int n_classes) override {
    SilenceOnce();
    n_classes_ = n_classes;
    n_features_ = x.cols();
    constant_ = -1;
    if ((y.array() == y(0)).all()) {  // liblinear needs two classes; predict the only one seen
      constant_ = static_cast<int>(y(0));
      return;
    }
    Rows rows(x, bias_);
    std::vector<double> labels(y.data(), y.data() + y.size());
    problem prob{};
    prob.l = static_cast<int>(x.rows());
    prob.n = static_cast<int>(bias_ >= 0 ? n_features_ + 1 : n_features_);
    prob.y = labels.data();
    prob.x = rows.rows();
    prob.bias = bias_;
    parameter param{};
    param.solver_type = solver_;
    param.eps = tol_;
    param.C = c_;
    param.p = 0.1;
    ClassWeights weights;
    if (balanced_) {
      weights = BalancedClassWeights(y);
      param.nr_weight = static_cast<int>(weights.labels.size());
      param.weight_label = weights.labels.data();
      param.weight = weights.weights.data();
    }
    if (const char* problem_text = check_parameter(&prob, &param))
      throw Error(ErrorCode::kInvalidArgument, std::string("liblinear: ") + problem_text);
    if (UsesRand(solver_)) {
      std::lock_guard<std::mutex> lock(RandMutex());
      std::srand(1);
      model_.reset(train(&prob, &param));
    } else {
      model_.reset(train(&prob, &param));
    }
    if (!model_) throw Error(ErrorCode::kInternal, "liblinear: training failed");
  }

  Eigen::VectorXd Predict(const Eigen::MatrixXd& x) const override {
    Eigen::VectorXd out(x.rows());
    if (constant_ >= 0) return out.setConstant(constant_);
    Rows rows(x, bias_);
    for (Eigen::Index i = 0; i < x.rows(); ++i) out(i) = predict(model_.get(), rows.row(i));
    return out;
  }

  bool HasProbabilities() const override { return probabilities_; }
  Eigen::MatrixXd PredictProbabilities(const Eigen::MatrixXd& x) const override {
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(x.rows(), n_classes_);
    if (constant_ >= 0) {
      out.col(constant_).setOnes();
      return out;
    }
    Rows rows(x, bias_);
    const int k = model_->nr_class;
    std::vector<double> p(k);
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      predict_probability(model_.get(), rows.row(i), p.data());
      for (int j = 0; j < k; ++j) out(i, model_->label[j]) = p[j];
    }
    return out;
  }

  bool HasDecision() const override { return true; }
  Eigen::MatrixXd Decision(const Eigen::MatrixXd& x) const override {
    const double lowest = std::numeric_limits<double>::lowest();
    Eigen::MatrixXd out = Eigen::MatrixXd::Constant(x.rows(), n_classes_, lowest);
    if (constant_ >= 0) {
      out.col(constant_).setZero();
      return out;
    }
    Rows rows(x, bias_);
    const int k = model_->nr_class;
    std::vector<double> d(k);
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      predict_values(model_.get(), rows.row(i), d.data());
      if (k == 2) {
        // One value, positive for label[0].
        const double first = d[0];
        out(i, model_->label[0]) = first;
        out(i, model_->label[1]) = -first;
      } else {
        for (int j = 0; j < k; ++j) out(i, model_->label[j]) = d[j];
      }
    }
    return out;
  }

 private:
  int solver_;
  double c_, tol_, bias_;
  bool probabilities_;
  bool balanced_;
  int n_classes_ = 0;
  Eigen::Index n_features_ = 0;
  int constant_ = -1;
  std::unique_ptr<struct model, ModelDeleter> model_;
};

}  // namespace

std::unique_ptr<Model> MakeLogisticRegression(HyperParameters& hp) {
  const double inf = std::numeric_limits<double>::infinity();
  const double c = hp.Float("C", 1.0, 0, inf, true);
  const std::string penalty = hp.Choice("penalty", "l2", {"l1", "l2"});
  const double tol = hp.Float("tol", 1e-4, 0, inf, true);
  const bool intercept = hp.Bool("fit_intercept", true);
  const double scaling = hp.Float("intercept_scaling", 1.0, 0, inf, true);
  const bool balanced = hp.Choice("class_weight", "none", {"none", "balanced"}) == "balanced";
  return std::make_unique<LiblinearClassifier>(penalty == "l1" ? L1R_LR : L2R_LR, c, tol,
                                               intercept ? scaling : -1.0, true, balanced);
}

std::unique_ptr<Model> MakeLinearSvc(HyperParameters& hp) {
  const double inf = std::numeric_limits<double>::infinity();
  const double c = hp.Float("C", 1.0, 0, inf, true);
  const std::string penalty = hp.Choice("penalty", "l2", {"l1", "l2"});
  const std::string loss = hp.Choice("loss", "squared_hinge", {"hinge", "squared_hinge"});
  const bool dual = hp.Bool("dual", true);
  const double tol = hp.Float("tol", 1e-4, 0, inf, true);
  const bool intercept = hp.Bool("fit_intercept", true);
  const double scaling = hp.Float("intercept_scaling", 1.0, 0, inf, true);
  const bool balanced = hp.Choice("class_weight", "none", {"none", "balanced"}) == "balanced";
  // The (penalty, loss, dual) combinations liblinear solves, as scikit-learn maps them.
  int solver;
  if (penalty == "l1") {
    if (loss == "hinge") hp.Reject("penalty", "(l1) cannot be combined with loss=hinge");
    solver = L1R_L2LOSS_SVC;  // primal only; scikit-learn would insist on dual=false
  } else if (loss == "hinge") {
    if (!dual) hp.Reject("dual", "(false) cannot be combined with loss=hinge");
    solver = L2R_L1LOSS_SVC_DUAL;
  } else {
    solver = dual ? L2R_L2LOSS_SVC_DUAL : L2R_L2LOSS_SVC;
  }
  return std::make_unique<LiblinearClassifier>(solver, c, tol, intercept ? scaling : -1.0, false,
                                               balanced);
}

}  // namespace krige::training
