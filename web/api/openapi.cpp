// GET /api/v1/openapi.yaml: docs/openapi.yaml, embedded at build time (web/CMakeLists.txt).
#include "feed_handlers.hpp"
#include "krige/embedded.hpp"

namespace krige {
extern const EmbeddedFile kOpenApi[];
extern const std::size_t kOpenApi_count;
}  // namespace krige

namespace krige::web {

std::string_view OpenApiDocument() {
  return {kOpenApi[0].text, kOpenApi[0].size};
}

http::Handler GetOpenApi() {
  return [](const http::Request&) {
    http::Response response;
    response.content_type = "application/yaml; charset=utf-8";
    response.body = std::string(OpenApiDocument());
    return response;
  };
}

}  // namespace krige::web
