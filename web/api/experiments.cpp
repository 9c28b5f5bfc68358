// /api/v1/experiments: create, list, get, best; stop, pause, resume, delete.
#include "decode.hpp"
#include "handlers.hpp"
#include "krige/error.hpp"

namespace krige::web {

http::Handler CreateExperiment(service::ExperimentService& service) {
  return [&service](const http::Request& request) {
    const ExperimentSpec spec = SpecFromJson(BodyJson(request));
    // A command runs programs on the workers: more than the write role the route asks for.
    if (spec.training.kind == "command") http::RequireRole(request, Role::kAdmin);
    const Experiment created = service.Create(spec);
    http::Response response = JsonResponse(201, ToJson(created));
    response.headers["Location"] = "/api/v1/experiments/" + std::to_string(created.id);
    return response;
  };
}

http::Handler ListExperiments(service::ExperimentService& service) {
  return [&service](const http::Request& request) {
    service::ExperimentQuery query;
    if (const auto state = QueryParam(request, "state")) {
      try {
        query.state = ExperimentStateFromName(*state);
      } catch (const Error& e) {
        throw Error(ErrorCode::kInvalidArgument,
                    std::string(e.what()) + " (known: running, paused, completed, stopped, failed)",
                    "state");
      }
    }
    query.limit = QueryInt(request, "limit", 1, 500, query.limit);
    query.cursor = QueryCursor(request, {Cursor::Kind::kId});
    const service::ExperimentPage page = service.List(query);
    Json experiments = Json::array();
    for (const auto& e : page.experiments) experiments.push_back(ToJson(e));
    return JsonResponse(
        200, {{"experiments", std::move(experiments)}, {"next_cursor", page.next_cursor}});
  };
}

http::Handler GetExperiment(service::ExperimentService& service) {
  return [&service](const http::Request& request) {
    return JsonResponse(200, ToJson(service.Get(PathId(request, "id"))));
  };
}

http::Handler GetBestTrial(service::ExperimentService& service) {
  return [&service](const http::Request& request) {
    const std::int64_t id = PathId(request, "id");
    const std::optional<Trial> best = service.Best(id);
    if (!best)
      throw Error(ErrorCode::kNotFound,
                  "experiment " + std::to_string(id) + " has no completed trial yet");
    return JsonResponse(200, ToJson(*best));
  };
}

namespace {

http::Handler Control(service::ExperimentService& service, service::ExperimentAction action) {
  return [&service, action](const http::Request& request) {
    return JsonResponse(200, ToJson(service.Control(PathId(request, "id"), action)));
  };
}

}  // namespace

http::Handler StopExperiment(service::ExperimentService& service) {
  return Control(service, service::ExperimentAction::kStop);
}

http::Handler PauseExperiment(service::ExperimentService& service) {
  return Control(service, service::ExperimentAction::kPause);
}

http::Handler ResumeExperiment(service::ExperimentService& service) {
  return Control(service, service::ExperimentAction::kResume);
}

http::Handler DeleteExperiment(service::ExperimentService& service) {
  return [&service](const http::Request& request) {
    service.Delete(PathId(request, "id"));
    http::Response response;
    response.status = 204;
    return response;
  };
}

}  // namespace krige::web
