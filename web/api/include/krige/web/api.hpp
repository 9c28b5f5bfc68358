// The REST API (/api/v1, /healthz) as routes on a krige::http::Router.
#pragma once

#include "krige/http/router.hpp"
#include "krige/service/experiment_service.hpp"

namespace krige::web {

// Adds every API route (the table is in web/api/api.cpp). `service` is borrowed: it must
// outlive the router; it is called concurrently from the handler threads.
void RegisterApi(http::Router& router, service::ExperimentService& service);

}  // namespace krige::web
