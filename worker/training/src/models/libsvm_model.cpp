// The only file that includes <libsvm/svm.h>.
#include "models/libsvm_model.hpp"

#include <libsvm/svm.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <numeric>

#include "krige/error.hpp"
#include "models/class_weight.hpp"
#include "models/hyperparameters.hpp"
#include "models/sparse_rows.hpp"

namespace krige::training {
namespace {

using Rows = SparseRows<svm_node>;

void Silent(const char*) {}

void SilenceOnce() {
  static std::once_flag once;
  std::call_once(once, [] { svm_set_print_string_function(&Silent); });
}

// Probability estimates draw from rand() (internal cross-validation): serialize and reseed.
std::mutex& RandMutex() {
  static std::mutex mu;
  return mu;
}

struct ModelDeleter {
  void operator()(svm_model* m) const { svm_free_and_destroy_model(&m); }
};

struct KernelSettings {
  int kernel = RBF;
  std::string gamma_word = "scale";  // "scale", "auto" or "" (then gamma holds the value)
  double gamma = 0;
  int degree = 3;
  double coef0 = 0;
  double c = 1;
  double tol = 1e-3;
  bool shrinking = true;
};

KernelSettings ReadKernel(HyperParameters& hp) {
  const double inf = std::numeric_limits<double>::infinity();
  KernelSettings k;
  k.c = hp.Float("C", 1.0, 0, inf, true);
  const std::string kernel = hp.Choice("kernel", "rbf", {"rbf", "linear", "poly", "sigmoid"});
  k.kernel = kernel == "rbf"      ? RBF
             : kernel == "linear" ? LINEAR
             : kernel == "poly"   ? POLY
                                  : SIGMOID;
  k.gamma_word = hp.FloatOrChoice("gamma", "scale", 0, inf, false, {"scale", "auto"}, &k.gamma);
  k.degree = static_cast<int>(hp.Int("degree", 3, 0, 1000));
  k.coef0 = hp.Float("coef0", 0.0, -inf, inf);
  k.tol = hp.Float("tol", 1e-3, 0, inf, true);
  k.shrinking = hp.Bool("shrinking", true);
  return k;
}

double Gamma(const KernelSettings& k, const Eigen::MatrixXd& x) {
  if (k.gamma_word == "auto") return 1.0 / static_cast<double>(x.cols());
  if (k.gamma_word == "scale") {
    // 1 / (n_features * X.var()) over all training cells, as scikit-learn.
    const double mean = x.mean();
    const double var = (x.array() - mean).square().mean();
    return var != 0 ? 1.0 / (static_cast<double>(x.cols()) * var) : 1.0;
  }
  return k.gamma;
}

class Svm : public Model {
 public:
  Svm(int svm_type, KernelSettings kernel, double epsilon, bool probability, bool balanced)
      : svm_type_(svm_type),
        kernel_(std::move(kernel)),
        epsilon_(epsilon),
        probability_(probability),
        balanced_(balanced) {}

  void Fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, int n_classes) override {
    SilenceOnce();
    n_classes_ = n_classes;
    constant_ = -1;
    const bool classifier = svm_type_ == C_SVC;
    if (classifier && (y.array() == y(0)).all()) {
      constant_ = static_cast<int>(y(0));
      return;
    }
    // Rows stably ordered by class, so libsvm meets the classes in sorted order (as
    // scikit-learn's fork does) and solves the same subproblems.
    std::vector<int> order(y.size());
    std::iota(order.begin(), order.end(), 0);
    if (classifier)
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return y(a) < y(b); });
    rows_ = std::make_unique<Rows>(x, -1.0, &order);
    std::vector<double> labels(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) labels[i] = y(order[i]);

    svm_problem prob{};
    prob.l = static_cast<int>(order.size());
    prob.y = labels.data();
    prob.x = rows_->rows();
    svm_parameter param{};
    param.svm_type = svm_type_;
    param.kernel_type = kernel_.kernel;
    param.degree = kernel_.degree;
    param.gamma = Gamma(kernel_, x);
    param.coef0 = kernel_.coef0;
    param.cache_size = 200;
    param.eps = kernel_.tol;
    param.C = kernel_.c;
    param.p = epsilon_;
    param.shrinking = kernel_.shrinking ? 1 : 0;
    param.probability = probability_ ? 1 : 0;
    ClassWeights weights;
    if (balanced_) {
      weights = BalancedClassWeights(y);
      param.nr_weight = static_cast<int>(weights.labels.size());
      param.weight_label = weights.labels.data();
      param.weight = weights.weights.data();
    }
    if (const char* problem_text = svm_check_parameter(&prob, &param))
      throw Error(ErrorCode::kInvalidArgument, std::string("libsvm: ") + problem_text);
    // The model points into rows_ (its support vectors), which therefore lives as long.
    if (probability_) {
      std::lock_guard<std::mutex> lock(RandMutex());
      std::srand(1);
      model_.reset(svm_train(&prob, &param));
    } else {
      model_.reset(svm_train(&prob, &param));
    }
    if (!model_) throw Error(ErrorCode::kInternal, "libsvm: training failed");
  }

  Eigen::VectorXd Predict(const Eigen::MatrixXd& x) const override {
    Eigen::VectorXd out(x.rows());
    if (constant_ >= 0) return out.setConstant(constant_);
    const Rows rows(x, -1.0);
    for (Eigen::Index i = 0; i < x.rows(); ++i) out(i) = svm_predict(model_.get(), rows.row(i));
    return out;
  }

  bool HasProbabilities() const override { return svm_type_ == C_SVC && probability_; }
  Eigen::MatrixXd PredictProbabilities(const Eigen::MatrixXd& x) const override {
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(x.rows(), n_classes_);
    if (constant_ >= 0) {
      out.col(constant_).setOnes();
      return out;
    }
    const Rows rows(x, -1.0);
    const int k = model_->nr_class;
    std::vector<double> p(k);
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      svm_predict_probability(model_.get(), rows.row(i), p.data());
      for (int j = 0; j < k; ++j) out(i, model_->label[j]) = p[j];
    }
    return out;
  }

  bool HasDecision() const override { return svm_type_ == C_SVC; }
  // Binary: libsvm's value (positive for label[0]) on its class, negated on the other.
  // Multiclass: one-vs-one votes plus squashed summed confidences, scikit-learn's "ovr" shape.
  Eigen::MatrixXd Decision(const Eigen::MatrixXd& x) const override {
    Eigen::MatrixXd out = Eigen::MatrixXd::Constant(x.rows(), n_classes_, -1e300);
    if (constant_ >= 0) {
      out.col(constant_).setZero();
      return out;
    }
    const Rows rows(x, -1.0);
    const int k = model_->nr_class;
    std::vector<double> d(static_cast<std::size_t>(k * (k - 1) / 2));
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      svm_predict_values(model_.get(), rows.row(i), d.data());
      if (k == 2) {
        out(i, model_->label[0]) = d[0];
        out(i, model_->label[1]) = -d[0];
        continue;
      }
      std::vector<double> votes(k, 0), confidence(k, 0);
      int p = 0;
      for (int a = 0; a < k; ++a)
        for (int b = a + 1; b < k; ++b, ++p) {
          votes[d[p] > 0 ? a : b] += 1;
          confidence[a] += d[p];
          confidence[b] -= d[p];
        }
      for (int a = 0; a < k; ++a)
        out(i, model_->label[a]) = votes[a] + confidence[a] / (3 * (std::abs(confidence[a]) + 1));
    }
    return out;
  }

 private:
  int svm_type_;
  KernelSettings kernel_;
  double epsilon_;
  bool probability_;
  bool balanced_;
  int n_classes_ = 0;
  int constant_ = -1;
  std::unique_ptr<Rows> rows_;  // declared before model_: destroyed after it
  std::unique_ptr<svm_model, ModelDeleter> model_;
};

}  // namespace

std::unique_ptr<Model> MakeSvc(HyperParameters& hp) {
  KernelSettings kernel = ReadKernel(hp);
  const bool probability = hp.Bool("probability", false);
  const bool balanced = hp.Choice("class_weight", "none", {"none", "balanced"}) == "balanced";
  return std::make_unique<Svm>(C_SVC, std::move(kernel), 0.1, probability, balanced);
}

std::unique_ptr<Model> MakeSvr(HyperParameters& hp) {
  KernelSettings kernel = ReadKernel(hp);
  const double epsilon = hp.Float("epsilon", 0.1, 0, std::numeric_limits<double>::infinity());
  return std::make_unique<Svm>(EPSILON_SVR, std::move(kernel), epsilon, false, false);
}

}  // namespace krige::training
