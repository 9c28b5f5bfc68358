// GET /healthz: 200 when the store answers, 503 in the error shape otherwise (for load
// balancers and `krige up`).
#include "decode.hpp"
#include "handlers.hpp"
#include "krige/error.hpp"

namespace krige::web {

http::Handler Health(service::ExperimentService& service) {
  return [&service](const http::Request&) {
    if (!service.Healthy()) throw Error(ErrorCode::kUnavailable, "the database does not answer");
    return JsonResponse(200, {{"status", "ok"}});
  };
}

}  // namespace krige::web
