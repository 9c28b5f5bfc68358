// The handlers behind the route table in api.cpp, one file per resource. Each decodes the
// request, makes one service call and encodes the answer; failures are thrown as krige::Error
// and mapped by the Router.
#pragma once

#include "krige/http/router.hpp"
#include "krige/service/auth_service.hpp"
#include "krige/service/dataset_service.hpp"
#include "krige/service/experiment_service.hpp"
#include "krige/service/run_service.hpp"
#include "krige/service/worker_service.hpp"

namespace krige::web {

// experiments.cpp
http::Handler CreateExperiment(service::ExperimentService& service);
http::Handler ListExperiments(service::ExperimentService& service);
http::Handler GetExperiment(service::ExperimentService& service);
http::Handler GetBestTrial(service::ExperimentService& service);
http::Handler StopExperiment(service::ExperimentService& service);
http::Handler PauseExperiment(service::ExperimentService& service);
http::Handler ResumeExperiment(service::ExperimentService& service);
http::Handler DeleteExperiment(service::ExperimentService& service);

// trials.cpp
http::Handler ListTrials(service::ExperimentService& service);
http::Handler GetTrial(service::ExperimentService& service);
http::Handler GetTrialByNumber(service::ExperimentService& service);

// datasets.cpp
http::Handler UploadDataset(service::DatasetService& service);
http::Handler DownloadDataset(service::DatasetService& service);
http::Handler GetDatasetInfo(service::DatasetService& service);
http::Handler ListDatasets(service::DatasetService& service);

// tokens.cpp
http::Handler CreateToken(service::AuthService& auth);
http::Handler ListTokens(service::AuthService& auth);
http::Handler RevokeToken(service::AuthService& auth);
// X-Krige-Capability on GET /api/v1/datasets/{sha256}: what a worker downloads with.
http::Capability DatasetCapability(service::AuthService& auth);

// workers.cpp
http::Handler ListWorkers(service::WorkerService& workers);

// health.cpp
http::Handler Health(service::ExperimentService& service);

// runs.cpp
http::Handler CreateRun(service::RunService& runs);
http::Handler LogRun(service::RunService& runs);
http::Handler EndRun(service::RunService& runs);
http::Handler GetRun(service::RunService& runs);
http::Handler GetTrialRun(service::RunService& runs);
http::Handler GetMetricHistory(service::RunService& runs);
http::Handler SearchRuns(service::RunService& runs);
http::Handler PutArtifact(service::RunService& runs);
http::Handler GetArtifact(service::RunService& runs);
http::Handler ListArtifacts(service::RunService& runs);
http::Handler GetTrackingExperiment(service::RunService& runs);
http::Handler TagTrackingExperiment(service::RunService& runs);
http::Handler ListTrackingExperiments(service::RunService& runs);
http::Handler RunsCsv(service::RunService& runs);

}  // namespace krige::web
