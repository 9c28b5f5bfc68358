// The route table of the REST API, in one place. Each route declares the role it needs
// (docs/api.md lists them): read for every GET, write to create, admin for tokens.
// Creating an experiment whose training runs a command needs admin (experiments.cpp checks
// the spec); a dataset download also accepts the capability a worker got with its ASSIGN.
#include "krige/web/api.hpp"

#include "handlers.hpp"

namespace krige::web {

void RegisterApi(http::Router& router, service::ExperimentService& service,
                 service::DatasetService& datasets, service::AuthService& auth,
                 service::WorkerService* workers) {
  using R = Role;
  router.Add("POST", "/api/v1/experiments", R::kWrite, CreateExperiment(service));
  router.Add("GET", "/api/v1/experiments", R::kRead, ListExperiments(service));
  router.Add("GET", "/api/v1/experiments/{id}", R::kRead, GetExperiment(service));
  router.Add("GET", "/api/v1/experiments/{id}/trials", R::kRead, ListTrials(service));
  router.Add("GET", "/api/v1/experiments/{id}/best", R::kRead, GetBestTrial(service));
  router.Add("POST", "/api/v1/experiments/{id}/stop", R::kWrite, StopExperiment(service));
  router.Add("POST", "/api/v1/experiments/{id}/pause", R::kWrite, PauseExperiment(service));
  router.Add("POST", "/api/v1/experiments/{id}/resume", R::kWrite, ResumeExperiment(service));
  router.Add("DELETE", "/api/v1/experiments/{id}", R::kWrite, DeleteExperiment(service));
  router.Add("GET", "/api/v1/trials/{id}", R::kRead, GetTrial(service));
  router.Add("GET", "/api/v1/experiments/{id}/trials/{number}", R::kRead,
             GetTrialByNumber(service));
  http::RouteOptions upload;
  upload.body_limit = kDatasetBodyLimit;
  router.Add("POST", "/api/v1/datasets", R::kWrite, UploadDataset(datasets), upload);
  router.Add("GET", "/api/v1/datasets", R::kRead, ListDatasets(datasets));
  http::RouteOptions download;
  download.capability = DatasetCapability(auth);
  router.Add("GET", "/api/v1/datasets/{sha256}", R::kRead, DownloadDataset(datasets), download);
  router.Add("GET", "/api/v1/datasets/{sha256}/info", R::kRead, GetDatasetInfo(datasets));
  router.Add("POST", "/api/v1/tokens", R::kAdmin, CreateToken(auth));
  router.Add("GET", "/api/v1/tokens", R::kAdmin, ListTokens(auth));
  router.Add("DELETE", "/api/v1/tokens/{id}", R::kAdmin, RevokeToken(auth));
  if (workers != nullptr) router.Add("GET", "/api/v1/workers", R::kRead, ListWorkers(*workers));
  router.Add("GET", "/healthz", R::kNone, Health(service));  // public: for load balancers
}

}  // namespace krige::web
