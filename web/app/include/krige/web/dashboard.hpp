// The web dashboard: static HTML/JS/CSS embedded in the binary, served by the same router as
// the API (GET /, /app/app.js, /app/style.css). The page reads everything through /api/v1.
#pragma once

#include "krige/http/router.hpp"

namespace krige::web {

void RegisterDashboard(http::Router& router);

}  // namespace krige::web
