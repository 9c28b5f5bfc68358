// The only file that includes <libsvm/svm.h>.
#include "models/libsvm_model.hpp"

#include <libsvm/svm.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <numeric>

#include "krige/error.hpp"
#include "models/class_weight.hpp"
#include "models/hyperparameters.hpp"
#include "models/pairwise_cache.hpp"
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

// libsvm's powi, so that poly kernels round as libsvm's own.
double Powi(double base, int times) {
  double tmp = base, ret = 1.0;
  for (int t = times; t > 0; t /= 2) {
    if (t % 2 == 1) ret *= tmp;
    tmp = tmp * tmp;
  }
  return ret;
}

// Kernel values written as libsvm's Kernel (training) and k_function (prediction) write them,
// operation for operation, from the same sums (see PairKind).
struct KernelFormula {
  int kernel;
  double gamma;
  double coef0;
  int degree;
  // Training pair (i, j): `dot` = x_i . x_j, `sq_i`, `sq_j` = x_i . x_i, x_j . x_j.
  double Train(double dot, double sq_i, double sq_j) const {
    if (kernel == RBF) return std::exp(-gamma * (sq_i + sq_j - 2 * dot));
    return FromDot(dot);
  }
  // Prediction: `pair` = ||x - sv||^2 for rbf, else x . sv.
  double Predict(double pair) const {
    return kernel == RBF ? std::exp(-gamma * pair) : FromDot(pair);
  }
  double FromDot(double dot) const {
    switch (kernel) {
      case LINEAR:
        return dot;
      case POLY:
        return Powi(gamma * dot + coef0, degree);
      default:
        return std::tanh(gamma * dot + coef0);
    }
  }
};

class Svm : public Model {
 public:
  Svm(int svm_type, KernelSettings kernel, double epsilon, bool probability, bool balanced,
      SvmKernelPath path)
      : svm_type_(svm_type),
        kernel_(std::move(kernel)),
        epsilon_(epsilon),
        probability_(probability),
        balanced_(balanced),
        path_(path) {}

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
    // Probability estimates with rbf stay native: libsvm's internal cross-validation predicts
    // training rows through k_function, whose rbf sums (x - y)^2 where training expands
    // x.x + y.y - 2 x.y; a precomputed matrix can hold only one of the two roundings.
    precomputed_ = path_ == SvmKernelPath::kPrecomputed ||
                   (path_ == SvmKernelPath::kAuto && PrecomputedKernelPays(x.rows(), x.cols()) &&
                    !(probability_ && kernel_.kernel == RBF));
    std::vector<double> labels(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) labels[i] = y(order[i]);

    svm_problem prob{};
    prob.l = static_cast<int>(order.size());
    prob.y = labels.data();
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
    formula_ = {kernel_.kernel, param.gamma, kernel_.coef0, kernel_.degree};
    if (precomputed_) {
      BuildKernelRows(x, order);
      prob.x = kernel_rows_.data();
      param.kernel_type = PRECOMPUTED;
    } else {
      rows_ = std::make_unique<Rows>(x, -1.0, &order);
      prob.x = rows_->rows();
    }
    // The model points into rows_ (its support vectors), which therefore lives as long.
    if (probability_) {
      std::lock_guard<std::mutex> lock(RandMutex());
      std::srand(1);
      model_.reset(svm_train(&prob, &param));
    } else {
      model_.reset(svm_train(&prob, &param));
    }
    if (!model_) throw Error(ErrorCode::kInternal, "libsvm: training failed");
    if (precomputed_) {
      sv_ids_.resize(model_->l);
      for (int s = 0; s < model_->l; ++s) sv_ids_[s] = static_cast<int>(model_->SV[s][0].value);
    }
  }

  Eigen::VectorXd Predict(const Eigen::MatrixXd& x) const override {
    Eigen::VectorXd out(x.rows());
    if (constant_ >= 0) return out.setConstant(constant_);
    ForEachRow(
        x, [&](Eigen::Index i, const svm_node* row) { out(i) = svm_predict(model_.get(), row); });
    return out;
  }

  bool HasProbabilities() const override { return svm_type_ == C_SVC && probability_; }
  Eigen::MatrixXd PredictProbabilities(const Eigen::MatrixXd& x) const override {
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(x.rows(), n_classes_);
    if (constant_ >= 0) {
      out.col(constant_).setOnes();
      return out;
    }
    const int k = model_->nr_class;
    std::vector<double> p(k);
    ForEachRow(x, [&](Eigen::Index i, const svm_node* row) {
      svm_predict_probability(model_.get(), row, p.data());
      for (int j = 0; j < k; ++j) out(i, model_->label[j]) = p[j];
    });
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
    const int k = model_->nr_class;
    std::vector<double> d(static_cast<std::size_t>(k * (k - 1) / 2));
    ForEachRow(x, [&](Eigen::Index i, const svm_node* row) {
      svm_predict_values(model_.get(), row, d.data());
      if (k == 2) {
        out(i, model_->label[0]) = d[0];
        out(i, model_->label[1]) = -d[0];
        return;
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
    });
    return out;
  }

 private:
  // libsvm's precomputed format: row i is (0, i + 1), then (j + 1, K(x_i, x_j)) for every
  // training row j, then the -1 terminator; rows are handed to libsvm in `order`. K is
  // symmetric (as libsvm's own: its sums commute), so each pair is computed once.
  void BuildKernelRows(const Eigen::MatrixXd& x, const std::vector<int>& order) {
    train_x_ = x;
    const auto gram = SvmPairwiseCache().Get(PairKind::kDot, x, x);
    const Eigen::MatrixXd& g = *gram;
    const Eigen::Index n = x.rows(), width = n + 2;
    // Every node is written below: default-initialized, not zeroed first (a third of the
    // time spent here on breast_cancer folds).
    kernel_nodes_.reset(new svm_node[static_cast<std::size_t>(n * width)]);
    svm_node* nodes = kernel_nodes_.get();
    for (Eigen::Index j = 0; j < n; ++j) {
      nodes[j * width] = {0, static_cast<double>(j + 1)};
      nodes[j * width + n + 1] = {-1, 0.0};
      for (Eigen::Index i = 0; i <= j; ++i) {
        const double v = formula_.Train(g(i, j), g(i, i), g(j, j));
        nodes[i * width + j + 1] = {static_cast<int>(j + 1), v};
        nodes[j * width + i + 1] = {static_cast<int>(i + 1), v};
      }
    }
    kernel_rows_.resize(order.size());
    for (std::size_t r = 0; r < order.size(); ++r) kernel_rows_[r] = nodes + order[r] * width;
  }

  // Calls fn(i, row) with each row of `x` in the node format the model was trained on. A
  // precomputed row holds K(x_i, sv) at each support vector's id (nothing else is read).
  template <typename Fn>
  void ForEachRow(const Eigen::MatrixXd& x, Fn&& fn) const {
    if (!precomputed_) {
      const Rows rows(x, -1.0);
      for (Eigen::Index i = 0; i < x.rows(); ++i) fn(i, rows.row(i));
      return;
    }
    const auto pairs = SvmPairwiseCache().Get(
        formula_.kernel == RBF ? PairKind::kSquaredDistance : PairKind::kDot, x, train_x_);
    const Eigen::MatrixXd& t = *pairs;
    std::vector<svm_node> row(static_cast<std::size_t>(train_x_.rows() + 2), svm_node{0, 0.0});
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      for (int id : sv_ids_) row[id] = {id, formula_.Predict(t(i, id - 1))};
      fn(i, row.data());
    }
  }

  int svm_type_;
  KernelSettings kernel_;
  double epsilon_;
  bool probability_;
  bool balanced_;
  SvmKernelPath path_;
  int n_classes_ = 0;
  int constant_ = -1;
  bool precomputed_ = false;
  KernelFormula formula_{};
  // The model's support vectors point into rows_ or kernel_nodes_: declared before model_,
  // destroyed after it.
  std::unique_ptr<Rows> rows_;
  std::unique_ptr<svm_node[]> kernel_nodes_;
  std::vector<svm_node*> kernel_rows_;
  Eigen::MatrixXd train_x_;  // precomputed: the training rows, for prediction tables
  std::vector<int> sv_ids_;  // precomputed: each support vector's 1-based training row
  std::unique_ptr<svm_model, ModelDeleter> model_;
};

}  // namespace

std::unique_ptr<Model> MakeSvc(HyperParameters& hp, SvmKernelPath path) {
  KernelSettings kernel = ReadKernel(hp);
  const bool probability = hp.Bool("probability", false);
  const bool balanced = hp.Choice("class_weight", "none", {"none", "balanced"}) == "balanced";
  return std::make_unique<Svm>(C_SVC, std::move(kernel), 0.1, probability, balanced, path);
}

std::unique_ptr<Model> MakeSvr(HyperParameters& hp, SvmKernelPath path) {
  KernelSettings kernel = ReadKernel(hp);
  const double epsilon = hp.Float("epsilon", 0.1, 0, std::numeric_limits<double>::infinity());
  return std::make_unique<Svm>(EPSILON_SVR, std::move(kernel), epsilon, false, false, path);
}

std::unique_ptr<Model> MakeSvc(HyperParameters& hp) {
  return MakeSvc(hp, SvmKernelPath::kAuto);
}
std::unique_ptr<Model> MakeSvr(HyperParameters& hp) {
  return MakeSvr(hp, SvmKernelPath::kAuto);
}

PairwiseCache& SvmPairwiseCache() {
  static PairwiseCache cache(std::size_t{256} << 20);
  return cache;
}

}  // namespace krige::training
