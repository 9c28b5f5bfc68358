// /api/v1/tokens: create (the secret is in this one answer only), list, revoke. Admin only.
#include "decode.hpp"
#include "handlers.hpp"
#include "krige/error.hpp"

namespace krige::web {
namespace {

Json TokenJson(const service::ApiToken& t) {
  const auto or_null = [](const std::string& s) { return s.empty() ? Json() : Json(s); };
  return {{"id", t.id},
          {"name", t.name},
          {"role", RoleName(t.role)},
          {"created_at", t.created_at},
          {"last_used_at", or_null(t.last_used_at)},
          {"revoked_at", or_null(t.revoked_at)}};
}

std::string StringField(const Json& body, const char* key) {
  if (!body.contains(key) || !body[key].is_string())
    throw Error(ErrorCode::kInvalidArgument, std::string(key) + ": a string is required", key);
  return body[key].get<std::string>();
}

}  // namespace

http::Handler CreateToken(service::AuthService& auth) {
  return [&auth](const http::Request& request) {
    const Json body = BodyJson(request);
    if (!body.is_object())
      throw Error(ErrorCode::kInvalidArgument, "expected {\"name\": ..., \"role\": ...}");
    const Role role = TokenRoleFromName(StringField(body, "role"));
    const service::IssuedToken issued = auth.CreateToken(StringField(body, "name"), role);
    Json out = TokenJson(issued.token);
    out["token"] = issued.secret;
    http::Response response = JsonResponse(201, out);
    response.headers["Cache-Control"] = "no-store";  // the secret must not linger in caches
    return response;
  };
}

http::Handler ListTokens(service::AuthService& auth) {
  return [&auth](const http::Request&) {
    Json tokens = Json::array();
    for (const auto& t : auth.ListTokens()) tokens.push_back(TokenJson(t));
    return JsonResponse(200, {{"tokens", std::move(tokens)}});
  };
}

http::Handler RevokeToken(service::AuthService& auth) {
  return [&auth](const http::Request& request) {
    return JsonResponse(200, TokenJson(auth.RevokeToken(PathId(request, "id"))));
  };
}

http::Capability DatasetCapability(service::AuthService& auth) {
  return [&auth](const http::Request& request) -> std::optional<bool> {
    const auto header = request.headers.find("x-krige-capability");
    if (header == request.headers.end()) return std::nullopt;
    return auth.CheckDatasetCapability(request.path_params.at("sha256"), header->second);
  };
}

}  // namespace krige::web
