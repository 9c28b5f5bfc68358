// /api/v1/experiments/{id}/trials and /api/v1/trials/{id}.
#include "decode.hpp"
#include "handlers.hpp"
#include "krige/error.hpp"
#include "krige/web/api.hpp"
#include "page_cache.hpp"

namespace krige::web {

http::Handler ListTrials(service::ExperimentService& service) {
  auto cache = std::make_shared<PageCache>(kTrialPageCacheBytes);
  return [&service, cache](const http::Request& request) {
    const std::int64_t experiment_id = PathId(request, "id");
    service::TrialQuery query;
    if (const auto state = QueryParam(request, "state")) {
      try {
        query.state = TrialStateFromName(*state);
      } catch (const Error& e) {
        throw Error(ErrorCode::kInvalidArgument,
                    std::string(e.what()) + " (known: queued, running, completed, failed, pruned)",
                    "state");
      }
    }
    if (const auto sort = QueryParam(request, "sort")) {
      if (*sort == "number") {
        query.sort = service::TrialSort::kNumber;
      } else if (*sort == "-number") {
        query.sort = service::TrialSort::kNumber;
        query.descending = true;
      } else if (*sort == "value") {
        query.sort = service::TrialSort::kValue;
      } else {
        throw Error(ErrorCode::kInvalidArgument,
                    "sort must be number, -number or value, got \"" + *sort + "\"", "sort");
      }
    }
    query.limit = QueryInt(request, "limit", 1, 1000, query.limit);
    // By value, the pages after the trials with a value continue by number ("n:").
    query.cursor = query.sort == service::TrialSort::kValue
                       ? QueryCursor(request, {Cursor::Kind::kValue, Cursor::Kind::kNumber})
                       : QueryCursor(request, {Cursor::Kind::kNumber});
    // The page rendered for this query is served again until a trial of the experiment
    // changes: dashboards and scripts poll the same pages, mostly of experiments that changed
    // less often than they are read.
    const std::string key = std::to_string(experiment_id) + "|" +
                            (query.state ? std::string(TrialStateName(*query.state)) : "") + "|" +
                            std::to_string(static_cast<int>(query.sort)) +
                            (query.descending ? "-" : "+") + std::to_string(query.limit) + "|" +
                            query.cursor;
    const std::optional<std::string> version = service.TrialsVersion(experiment_id);
    if (const auto body = version ? cache->Find(key, *version) : nullptr) {
      http::Response response;
      response.body = *body;
      return response;
    }
    const service::TrialPage page = service.Trials(experiment_id, query);
    Json trials = Json::array();
    for (const auto& t : page.trials) trials.push_back(ToJson(t));
    http::Response response =
        JsonResponse(200, {{"trials", std::move(trials)}, {"next_cursor", page.next_cursor}});
    if (version) cache->Put(key, *version, response.body);
    return response;
  };
}

http::Handler GetTrialByNumber(service::ExperimentService& service) {
  return [&service](const http::Request& request) {
    const std::int64_t experiment_id = PathId(request, "id");
    const auto it = request.path_params.find("number");
    const std::string text = it == request.path_params.end() ? std::string() : it->second;
    // 0-based, dense: any non-negative int (the canonical form of a number cursor).
    const auto number = ParseCursor("n:" + text);
    if (text.empty() || !number || number->kind != Cursor::Kind::kNumber)
      throw Error(ErrorCode::kInvalidArgument,
                  "number must be a non-negative integer, got \"" + text + "\"", "number");
    // The list by number, one trial after number - 1: the one asked for, if it exists.
    service::TrialQuery query;
    query.limit = 1;
    if (number->number > 0) query.cursor = "n:" + std::to_string(number->number - 1);
    const service::TrialPage page = service.Trials(experiment_id, query);
    if (page.trials.empty() || page.trials.front().number != number->number)
      throw Error(ErrorCode::kNotFound, "experiment " + std::to_string(experiment_id) +
                                            " has no trial #" + std::to_string(number->number));
    // Read again by id for the per-step scores the list leaves out.
    return JsonResponse(200, ToJson(service.GetTrial(page.trials.front().id)));
  };
}

http::Handler GetTrial(service::ExperimentService& service) {
  return [&service](const http::Request& request) {
    return JsonResponse(200, ToJson(service.GetTrial(PathId(request, "id"))));
  };
}

}  // namespace krige::web
