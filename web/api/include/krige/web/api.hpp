// The REST API (/api/v1, /healthz) as routes on a krige::http::Router.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "krige/http/router.hpp"
#include "krige/service/auth_service.hpp"
#include "krige/service/dataset_service.hpp"
#include "krige/service/experiment_service.hpp"
#include "krige/service/run_service.hpp"
#include "krige/service/trial_feed.hpp"
#include "krige/service/worker_service.hpp"
#include "krige/web/events.hpp"

namespace krige::web {

// The largest dataset POST /api/v1/datasets accepts (every other route keeps the server's
// default body limit).
inline constexpr std::size_t kDatasetBodyLimit = std::size_t{256} << 20;

// GET /api/v1/experiments/{id}/trials keeps the pages it rendered, up to this many bytes,
// until a trial of their experiment changes.
inline constexpr std::size_t kTrialPageCacheBytes = std::size_t{32} << 20;

// Adds every API route, each with the role it needs (the table is in web/api/api.cpp). The
// services are borrowed: they must outlive the router; they are called concurrently from the
// handler threads. Authentication itself is the router's (Router::SetAuthenticator).
// GET /api/v1/workers is served only when `workers` is given.
void RegisterApi(http::Router& router, service::ExperimentService& experiments,
                 service::DatasetService& datasets, service::AuthService& auth,
                 service::WorkerService* workers = nullptr);

// GET /metrics (role read; Prometheus sends the token as bearer_token): the Prometheus text
// format that `expose` returns, called once per scrape on a handler thread.
void RegisterMetrics(http::Router& router, std::function<std::string()> expose);

// The largest body of POST /api/v1/runs/{id}/log: a full batch (limits::kLogBatchMetrics
// points) with long keys fits.
inline constexpr std::size_t kRunLogBodyLimit = std::size_t{16} << 20;

// Adds the experiment-tracking routes (/api/v1/runs..., /api/v1/tracking/...), each with its
// role (the table is in web/api/api.cpp). `runs` is borrowed, like RegisterApi's services.
void RegisterRunsApi(http::Router& router, service::RunService& runs);

// The dashboard's routes over the trial feed (columns, CSV, steps, GET /api/v1/events), each
// with its role; `feed` and `events` must outlive the router.
void RegisterFeedApi(http::Router& router, service::ExperimentService& experiments,
                     service::TrialFeed& feed, EventHub& events);

}  // namespace krige::web
