// /api/v1/datasets: upload (raw bytes), download by hash, describe, list.
#include "decode.hpp"
#include "handlers.hpp"
#include "krige/error.hpp"

namespace krige::web {
namespace {

Json DatasetJson(const service::Dataset& d) {
  return {{"sha256", d.sha256}, {"name", d.name}, {"size", d.size}, {"created_at", d.created_at}};
}

std::string PathHash(const http::Request& request) {
  return request.path_params.at("sha256");  // the service checks its form (400 "sha256")
}

}  // namespace

http::Handler UploadDataset(service::DatasetService& service) {
  return [&service](const http::Request& request) {
    const auto name = QueryParam(request, "name");
    if (!name)
      throw Error(ErrorCode::kInvalidArgument, "name the dataset: POST /api/v1/datasets?name=NAME",
                  "name");
    const service::Upload upload = service.Put(*name, request.body);
    http::Response response = JsonResponse(upload.created ? 201 : 200, DatasetJson(upload.dataset));
    response.headers["Location"] = "/api/v1/datasets/" + upload.dataset.sha256;
    return response;
  };
}

http::Handler DownloadDataset(service::DatasetService& service) {
  return [&service](const http::Request& request) {
    const std::string sha256 = PathHash(request);
    http::Response response;
    response.body = service.Bytes(sha256);
    response.content_type = "text/csv";
    response.headers["ETag"] = "\"" + sha256 + "\"";
    return response;
  };
}

http::Handler GetDatasetInfo(service::DatasetService& service) {
  return [&service](const http::Request& request) {
    const std::string sha256 = PathHash(request);
    const auto dataset = service.Find(sha256);
    if (!dataset) throw Error(ErrorCode::kNotFound, "no dataset " + sha256, "sha256");
    return JsonResponse(200, DatasetJson(*dataset));
  };
}

http::Handler ListDatasets(service::DatasetService& service) {
  return [&service](const http::Request& request) {
    const int limit = QueryInt(request, "limit", 1, 1000, 100);
    Json datasets = Json::array();
    for (const auto& d : service.List(QueryParam(request, "name"), limit))
      datasets.push_back(DatasetJson(d));
    return JsonResponse(200, {{"datasets", std::move(datasets)}});
  };
}

}  // namespace krige::web
