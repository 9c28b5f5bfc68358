// /api/v1/workers: the workers connected now and those lost within the last hour.
#include "decode.hpp"
#include "handlers.hpp"

namespace krige::web {

http::Handler ListWorkers(service::WorkerService& workers) {
  return [&workers](const http::Request& request) {
    service::WorkerQuery query;
    query.limit = QueryInt(request, "limit", 1, 1000, query.limit);
    query.cursor = QueryCursor(request, {Cursor::Kind::kWorker});
    const service::WorkerPage page = workers.List(query);
    Json list = Json::array();
    for (const auto& w : page.workers)
      list.push_back({{"id", w.id},
                      {"hostname", w.hostname},
                      {"slots", w.slots},
                      {"version", w.version},
                      {"state", w.state},
                      {"first_seen", w.first_seen},
                      {"last_seen", w.last_seen},
                      {"trials", {{"running", w.running}, {"done", w.done}}},
                      {"kinds", w.kinds}});
    return JsonResponse(200, {{"workers", std::move(list)}, {"next_cursor", page.next_cursor}});
  };
}

}  // namespace krige::web
