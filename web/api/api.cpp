// The route table of the REST API, in one place. Each route declares the role it needs
// (docs/api.md lists them): read for every GET, write to create, admin for tokens.
// Creating an experiment whose training runs a command needs admin (experiments.cpp checks
// the spec); a dataset download also accepts the capability a worker got with its ASSIGN.
#include "krige/web/api.hpp"

#include "feed_handlers.hpp"
#include "handlers.hpp"
#include "krige/limits.hpp"

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

void RegisterMetrics(http::Router& router, std::function<std::string()> expose) {
  router.Add("GET", "/metrics", Role::kRead, [expose = std::move(expose)](const http::Request&) {
    http::Response response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = expose();
    return response;
  });
}

void RegisterRunsApi(http::Router& router, service::RunService& runs) {
  using R = Role;
  router.Add("POST", "/api/v1/runs", R::kWrite, CreateRun(runs));
  router.Add("POST", "/api/v1/runs/search", R::kRead, SearchRuns(runs));  // a query, not a change
  router.Add("GET", "/api/v1/runs/{id}", R::kRead, GetRun(runs));
  http::RouteOptions batch;
  batch.body_limit = kRunLogBodyLimit;
  router.Add("POST", "/api/v1/runs/{id}/log", R::kWrite, LogRun(runs), batch);
  router.Add("POST", "/api/v1/runs/{id}/end", R::kWrite, EndRun(runs));
  router.Add("GET", "/api/v1/runs/{id}/metrics/{key}", R::kRead, GetMetricHistory(runs));
  router.Add("GET", "/api/v1/runs/{id}/artifacts", R::kRead, ListArtifacts(runs));
  http::RouteOptions artifact;
  artifact.body_limit = limits::kArtifactBytes;
  router.Add("PUT", "/api/v1/runs/{id}/artifacts/{path...}", R::kWrite, PutArtifact(runs),
             artifact);
  router.Add("GET", "/api/v1/runs/{id}/artifacts/{path...}", R::kRead, GetArtifact(runs));
  router.Add("GET", "/api/v1/tracking/experiments", R::kRead, ListTrackingExperiments(runs));
  router.Add("GET", "/api/v1/tracking/experiments/{id}", R::kRead, GetTrackingExperiment(runs));
  router.Add("GET", "/api/v1/tracking/experiments/{id}/runs.csv", R::kRead, RunsCsv(runs));
  router.Add("GET", "/api/v1/trials/{id}/run", R::kRead, GetTrialRun(runs));
  router.Add("POST", "/api/v1/tracking/experiments/{id}/tags", R::kWrite,
             TagTrackingExperiment(runs));
}

// The dashboard's reads: trials as columns, CSV, per-step scores, the live stream.
void RegisterFeedApi(http::Router& router, service::ExperimentService& experiments,
                     service::TrialFeed& feed, EventHub& events) {
  using R = Role;
  router.Add("GET", "/api/v1/experiments/{id}/trials/columns", R::kRead, TrialColumns(feed));
  router.Add("GET", "/api/v1/experiments/{id}/trials/steps", R::kRead, TrialSteps(feed));
  router.Add("GET", "/api/v1/experiments/{id}/trials.csv", R::kRead, TrialsCsv(feed));
  router.Add("GET", "/api/v1/experiments/{id}/importance", R::kRead,
             GetImportance(experiments, feed));
  router.Add("GET", "/api/v1/events", R::kRead, events.Handler());
  router.Add("GET", "/api/v1/openapi.yaml", R::kRead, GetOpenApi());
}

}  // namespace krige::web
