// The route table of the REST API, in one place.
#include "krige/web/api.hpp"

#include "handlers.hpp"

namespace krige::web {

void RegisterApi(http::Router& router, service::ExperimentService& service,
                 service::DatasetService& datasets) {
  router.Add("POST", "/api/v1/experiments", CreateExperiment(service));
  router.Add("GET", "/api/v1/experiments", ListExperiments(service));
  router.Add("GET", "/api/v1/experiments/{id}", GetExperiment(service));
  router.Add("GET", "/api/v1/experiments/{id}/trials", ListTrials(service));
  router.Add("GET", "/api/v1/experiments/{id}/best", GetBestTrial(service));
  router.Add("GET", "/api/v1/trials/{id}", GetTrial(service));
  router.Add("POST", "/api/v1/datasets", UploadDataset(datasets),
             http::RouteOptions{kDatasetBodyLimit});
  router.Add("GET", "/api/v1/datasets", ListDatasets(datasets));
  router.Add("GET", "/api/v1/datasets/{sha256}", DownloadDataset(datasets));
  router.Add("GET", "/api/v1/datasets/{sha256}/info", GetDatasetInfo(datasets));
  router.Add("GET", "/healthz", Health(service));
}

}  // namespace krige::web
