// The one interface every built-in model implements, and the factory that makes them by name.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "krige/params.hpp"
#include "krige/spec.hpp"

namespace krige::training {

// A model is made from validated hyperparameters, then fitted once. Instances are not shared
// between threads; distinct instances may be used concurrently.
class Model {
 public:
  virtual ~Model() = default;

  // Classification: `y` holds class indices 0..n_classes-1 (some may be absent from a fold).
  // Regression: n_classes is 0. Throws krige::Error when the library fails.
  virtual void Fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, int n_classes) = 0;

  // Class index (as a double) or regression value per row.
  virtual Eigen::VectorXd Predict(const Eigen::MatrixXd& x) const = 0;

  // rows x n_classes class probabilities; only when HasProbabilities().
  virtual bool HasProbabilities() const { return false; }
  virtual Eigen::MatrixXd PredictProbabilities(const Eigen::MatrixXd& x) const;

  // rows x n_classes scores, larger = more likely; only when HasDecision(). For two classes
  // column 1 is the positive score and column 0 its negation.
  virtual bool HasDecision() const { return false; }
  virtual Eigen::MatrixXd Decision(const Eigen::MatrixXd& x) const;

  // Staged training, for pruning on a resource (training.resource: n_estimators): Start()
  // prepares the model on the data, Continue(r) trains it up to r rounds in total; Predict
  // then uses the rounds so far. Fit() is Start() and Continue(StagedRounds()). Models
  // without stages return 0.
  virtual int StagedRounds() const { return 0; }
  virtual void Start(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, int n_classes) {
    Fit(x, y, n_classes);
  }
  virtual void Continue(int /*rounds*/) {}

  // Clustering: n_clusters x features centres (Predict gives the row index); only when
  // HasCenters().
  virtual bool HasCenters() const { return false; }
  virtual Eigen::MatrixXd ClusterCenters() const;
};

// Models known to the factory, with the task each one solves.
struct ModelInfo {
  std::string name;
  std::vector<Task> tasks;
};
const std::vector<ModelInfo>& BuiltinModels();

// Parses `hyperparameters` for model `name` (unknown names, wrong types and out-of-range values
// throw Error(kInvalidArgument) naming the parameter) and returns an unfitted model. Randomized
// models draw only from `seed`: the same seed, data and hyperparameters give the same model.
std::unique_ptr<Model> MakeModel(const std::string& name, Task task, const Params& hyperparameters,
                                 std::uint64_t seed = 0);

}  // namespace krige::training
