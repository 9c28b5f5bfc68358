#include "models/model.hpp"

#include <algorithm>

#include "krige/error.hpp"
#include "models/elastic_net.hpp"
#include "models/hyperparameters.hpp"
#include "models/kmeans.hpp"
#include "models/knn.hpp"
#include "models/liblinear_model.hpp"
#include "models/libsvm_model.hpp"
#include "models/ridge.hpp"
#include "models/xgboost_model.hpp"

namespace krige::training {
namespace {

using Factory = std::unique_ptr<Model> (*)(HyperParameters&, std::uint64_t seed);

// Adapts the factory of a model that draws no random numbers.
template <std::unique_ptr<Model> (*Make)(HyperParameters&)>
std::unique_ptr<Model> Unseeded(HyperParameters& hp, std::uint64_t) {
  return Make(hp);
}

struct Entry {
  ModelInfo info;
  Factory make;
};

// The registry, filled explicitly (no static self-registration).
const std::vector<Entry>& Entries() {
  static const std::vector<Entry> kEntries = {
      {{"logistic_regression", {Task::kClassification}}, &Unseeded<MakeLogisticRegression>},
      {{"linear_svc", {Task::kClassification}}, &Unseeded<MakeLinearSvc>},
      {{"ridge", {Task::kRegression}}, &Unseeded<MakeRidge>},
      {{"svc", {Task::kClassification}}, &Unseeded<MakeSvc>},
      {{"svr", {Task::kRegression}}, &Unseeded<MakeSvr>},
      {{"lasso", {Task::kRegression}}, &Unseeded<MakeLasso>},
      {{"elastic_net", {Task::kRegression}}, &Unseeded<MakeElasticNet>},
      {{"knn", {Task::kClassification, Task::kRegression}}, &Unseeded<MakeKnn>},
      {{"xgboost", {Task::kClassification, Task::kRegression}}, &MakeXgboost},
      {{"random_forest", {Task::kClassification, Task::kRegression}}, &MakeRandomForest},
      {{"kmeans", {Task::kClustering}}, &MakeKmeans},
  };
  return kEntries;
}

std::string TaskName(Task t) {
  return t == Task::kClassification ? "classification"
         : t == Task::kRegression   ? "regression"
                                    : "clustering";
}

}  // namespace

Eigen::MatrixXd Model::PredictProbabilities(const Eigen::MatrixXd&) const {
  throw Error(ErrorCode::kFailedPrecondition, "this model does not estimate probabilities");
}

Eigen::MatrixXd Model::Decision(const Eigen::MatrixXd&) const {
  throw Error(ErrorCode::kFailedPrecondition, "this model has no decision function");
}

Eigen::MatrixXd Model::ClusterCenters() const {
  throw Error(ErrorCode::kFailedPrecondition, "this model has no cluster centres");
}

const std::vector<ModelInfo>& BuiltinModels() {
  static const std::vector<ModelInfo> kInfos = [] {
    std::vector<ModelInfo> out;
    for (const auto& e : Entries()) out.push_back(e.info);
    return out;
  }();
  return kInfos;
}

std::unique_ptr<Model> MakeModel(const std::string& name, Task task, const Params& hyperparameters,
                                 std::uint64_t seed) {
  for (const auto& e : Entries()) {
    if (e.info.name != name) continue;
    if (std::find(e.info.tasks.begin(), e.info.tasks.end(), task) == e.info.tasks.end())
      throw Error(ErrorCode::kInvalidArgument, name + " cannot be used for " + TaskName(task),
                  "training.task");
    HyperParameters hp(name, hyperparameters);
    auto model = e.make(hp, seed);
    hp.RejectUnknown();
    return model;
  }
  std::string known;
  for (const auto& e : Entries()) known += (known.empty() ? "" : ", ") + e.info.name;
  throw Error(ErrorCode::kInvalidArgument, "unknown model \"" + name + "\" (known: " + known + ")",
              "training.model");
}

}  // namespace krige::training
