#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "krige/error.hpp"
#include "krige/http/router.hpp"

namespace krige::http {
namespace {

using Json = nlohmann::json;

Request Make(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

Handler Echo(std::string name) {
  return [name](const Request& r) {
    Response response;
    Json params = Json::object();
    for (const auto& [k, v] : r.path_params) params[k] = v;
    response.body = Json{{"route", name}, {"params", params}}.dump();
    return response;
  };
}

Json BodyOf(const Response& r) {
  return Json::parse(r.body);
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/", Role::kRead, Echo("root"));
    router_.Add("GET", "/api/v1/experiments", Role::kRead, Echo("list"));
    router_.Add("POST", "/api/v1/experiments", Role::kRead, Echo("create"));
    router_.Add("GET", "/api/v1/experiments/{id}", Role::kRead, Echo("get"));
    router_.Add("GET", "/api/v1/experiments/{id}/trials", Role::kRead, Echo("trials"));
    router_.Add("GET", "/api/v1/experiments/latest", Role::kRead, Echo("latest"));
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralsAndCaptures) {
  EXPECT_EQ(BodyOf(router_.Dispatch(Make("GET", "/")))["route"], "root");
  EXPECT_EQ(BodyOf(router_.Dispatch(Make("GET", "/api/v1/experiments")))["route"], "list");
  EXPECT_EQ(BodyOf(router_.Dispatch(Make("POST", "/api/v1/experiments")))["route"], "create");
  const Json get = BodyOf(router_.Dispatch(Make("GET", "/api/v1/experiments/42")));
  EXPECT_EQ(get["route"], "get");
  EXPECT_EQ(get["params"]["id"], "42");
  const Json trials = BodyOf(router_.Dispatch(Make("GET", "/api/v1/experiments/7/trials")));
  EXPECT_EQ(trials["route"], "trials");
  EXPECT_EQ(trials["params"]["id"], "7");
}

TEST_F(RouterTest, LiteralSegmentBeatsCapture) {
  EXPECT_EQ(BodyOf(router_.Dispatch(Make("GET", "/api/v1/experiments/latest")))["route"], "latest");
}

TEST_F(RouterTest, CapturesArePercentDecoded) {
  EXPECT_EQ(BodyOf(router_.Dispatch(Make("GET", "/api/v1/experiments/a%20b")))["params"]["id"],
            "a b");
}

TEST_F(RouterTest, UnknownPathIs404InTheErrorShape) {
  for (const char* path : {"/nope", "/api/v1/experiments/1/x", "/api/v1/experiments/", "/api"}) {
    const Response r = router_.Dispatch(Make("GET", path));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(BodyOf(r)["error"]["code"], "not_found") << path;
  }
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  const Response r = router_.Dispatch(Make("DELETE", "/api/v1/experiments"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.at("Allow"), "GET, POST");
  EXPECT_EQ(BodyOf(r), Json::parse(R"({"error":{"code":"method_not_allowed",
      "message":"DELETE is not allowed on /api/v1/experiments"}})"));
  EXPECT_EQ(router_.Dispatch(Make("POST", "/api/v1/experiments/3")).status, 405);
}

TEST_F(RouterTest, HandlerExceptionsAreMapped) {
  router_.Add("GET", "/boom/{kind}", Role::kRead, [](const Request& r) -> Response {
    if (r.path_params.at("kind") == "krige")
      throw Error(ErrorCode::kFailedPrecondition, "experiment is stopped");
    throw std::runtime_error("secret connection string");
  });
  const Response krige = router_.Dispatch(Make("GET", "/boom/krige"));
  EXPECT_EQ(krige.status, 409);
  EXPECT_EQ(BodyOf(krige)["error"]["message"], "experiment is stopped");
  const Response other = router_.Dispatch(Make("GET", "/boom/std"));
  EXPECT_EQ(other.status, 500);
  EXPECT_EQ(other.body.find("secret"), std::string::npos);
}

TEST_F(RouterTest, DuplicateRouteThrows) {
  EXPECT_THROW(router_.Add("GET", "/api/v1/experiments/{id}", Role::kRead, Echo("again")),
               std::logic_error);
}

// Access: the route's role against the caller's token, as Dispatch checks it.
class RouterAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/healthz", Role::kNone, Echo("health"));
    router_.Add("GET", "/read", Role::kRead, Echo("read"));
    router_.Add("POST", "/write", Role::kWrite, Echo("write"));
    router_.Add("POST", "/admin", Role::kAdmin, Echo("admin"));
    router_.Add("GET", "/caller", Role::kRead, [](const Request& r) {
      Response response;
      response.body = Json{{"role", RoleName(r.caller.role)}}.dump();
      return response;
    });
    RouteOptions options;
    options.capability = [](const Request& r) -> std::optional<bool> {
      const auto it = r.headers.find("x-krige-capability");
      if (it == r.headers.end()) return std::nullopt;
      return it->second == "ok-for-" + r.path_params.at("sha");
    };
    router_.Add("GET", "/data/{sha}", Role::kRead, Echo("data"), options);
    router_.SetAuthenticator([this](const std::string& token) -> std::optional<Role> {
      ++lookups_;
      if (token == "r") return Role::kRead;
      if (token == "w") return Role::kWrite;
      if (token == "a") return Role::kAdmin;
      return std::nullopt;
    });
  }
  Response Call(const std::string& method, const std::string& path,
                const std::string& authorization = "", const std::string& capability = "") {
    Request r = Make(method, path);
    if (!authorization.empty()) r.headers["authorization"] = authorization;
    if (!capability.empty()) r.headers["x-krige-capability"] = capability;
    return router_.Dispatch(std::move(r));
  }
  Router router_;
  int lookups_ = 0;
};

TEST_F(RouterAuthTest, PublicRoutesNeedNoTokenAndAskNobody) {
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  EXPECT_EQ(Call("GET", "/healthz", "Bearer nonsense").status, 200);
  EXPECT_EQ(lookups_, 0);
}

TEST_F(RouterAuthTest, NoOrUnknownTokenIs401InTheErrorShape) {
  for (const std::string auth : {"", "Bearer nope", "Basic cjpy", "Bearer", "r"}) {
    const Response r = Call("GET", "/read", auth);
    EXPECT_EQ(r.status, 401) << auth;
    EXPECT_EQ(BodyOf(r)["error"]["code"], "unauthenticated") << auth;
    EXPECT_EQ(r.headers.at("WWW-Authenticate"), "Bearer realm=\"krige\"");
  }
}

TEST_F(RouterAuthTest, EachRoleReachesItsRoutesAndNoMore) {
  struct Case {
    const char* token;
    int read, write, admin;
  };
  for (const Case c :
       {Case{"r", 200, 403, 403}, Case{"w", 200, 200, 403}, Case{"a", 200, 200, 200}}) {
    const std::string auth = std::string("Bearer ") + c.token;
    EXPECT_EQ(Call("GET", "/read", auth).status, c.read) << c.token;
    EXPECT_EQ(Call("POST", "/write", auth).status, c.write) << c.token;
    const Response admin = Call("POST", "/admin", auth);
    EXPECT_EQ(admin.status, c.admin) << c.token;
    if (c.admin == 403) {
      EXPECT_EQ(BodyOf(admin)["error"]["code"], "permission_denied");
      EXPECT_THAT(BodyOf(admin)["error"]["message"].get<std::string>(),
                  ::testing::HasSubstr("needs the admin role"));
    }
  }
  // The scheme is case-insensitive (RFC 7235); the handler sees the caller's role.
  EXPECT_EQ(BodyOf(Call("GET", "/caller", "bearer  w "))["role"], "write");
}

TEST_F(RouterAuthTest, ACapabilityIsTheAlternativeToAToken) {
  EXPECT_EQ(Call("GET", "/data/abc").status, 401);
  EXPECT_EQ(Call("GET", "/data/abc", "", "ok-for-abc").status, 200);
  const Response wrong = Call("GET", "/data/abc", "", "ok-for-other");
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(BodyOf(wrong)["error"]["code"], "permission_denied");
  EXPECT_EQ(Call("GET", "/data/abc", "Bearer r").status, 200);  // a read token suffices
  // The capability opens only its own route.
  EXPECT_EQ(Call("GET", "/read", "", "ok-for-abc").status, 401);
}

TEST_F(RouterAuthTest, UnknownRoutesStay404And405) {
  EXPECT_EQ(Call("GET", "/nowhere").status, 404);
  EXPECT_EQ(Call("DELETE", "/read").status, 405);
}

TEST(RouterAuthOffTest, WithoutAnAuthenticatorEveryCallerIsAdmin) {
  Router router;
  router.Add("POST", "/admin", Role::kAdmin, [](const Request& r) {
    Response response;
    response.body = Json{{"role", RoleName(r.caller.role)}}.dump();
    return response;
  });
  const Response r = router.Dispatch(Make("POST", "/admin"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(BodyOf(r)["role"], "admin");
  EXPECT_FALSE(router.authenticates());
}

TEST(RequireRoleTest, ThrowsByWhatIsMissing) {
  Request r;
  try {
    RequireRole(r, Role::kRead);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnauthenticated);
  }
  r.caller = {true, Role::kWrite};
  EXPECT_NO_THROW(RequireRole(r, Role::kWrite));
  try {
    RequireRole(r, Role::kAdmin);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  }
  EXPECT_NO_THROW(RequireRole(Request{}, Role::kNone));
}

struct CodeCase {
  ErrorCode code;
  int status;
  const char* name;
};

class ErrorToResponseTest : public ::testing::TestWithParam<CodeCase> {};

TEST_P(ErrorToResponseTest, MapsCodeToStatusAndShape) {
  const CodeCase c = GetParam();
  const Response r =
      ErrorToResponse(std::make_exception_ptr(Error(c.code, "the message", "space.C.low")));
  EXPECT_EQ(r.status, c.status);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(
      BodyOf(r),
      (Json{{"error", {{"code", c.name}, {"message", "the message"}, {"field", "space.C.low"}}}}));
}

INSTANTIATE_TEST_SUITE_P(
    EveryCode, ErrorToResponseTest,
    ::testing::Values(CodeCase{ErrorCode::kInvalidArgument, 400, "invalid_argument"},
                      CodeCase{ErrorCode::kUnauthenticated, 401, "unauthenticated"},
                      CodeCase{ErrorCode::kPermissionDenied, 403, "permission_denied"},
                      CodeCase{ErrorCode::kNotFound, 404, "not_found"},
                      CodeCase{ErrorCode::kAlreadyExists, 409, "already_exists"},
                      CodeCase{ErrorCode::kFailedPrecondition, 409, "failed_precondition"},
                      CodeCase{ErrorCode::kPayloadTooLarge, 413, "payload_too_large"},
                      CodeCase{ErrorCode::kUnavailable, 503, "unavailable"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ErrorToResponseTest, NoFieldMeansNoFieldKey) {
  const Response r = ErrorToResponse(std::make_exception_ptr(Error(ErrorCode::kNotFound, "gone")));
  EXPECT_EQ(BodyOf(r), Json::parse(R"({"error":{"code":"not_found","message":"gone"}})"));
}

TEST(ErrorToResponseTest, InternalNeverLeaksTheMessage) {
  for (auto e : {std::make_exception_ptr(Error(ErrorCode::kInternal, "pq: password=hunter2")),
                 std::make_exception_ptr(std::runtime_error("password=hunter2")),
                 std::make_exception_ptr(42)}) {
    const Response r = ErrorToResponse(e);
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(BodyOf(r),
              Json::parse(R"({"error":{"code":"internal","message":"internal error"}})"));
  }
}

TEST(ErrorToResponseTest, ValidationErrorListsEveryProblem) {
  const Response r = ErrorToResponse(
      std::make_exception_ptr(ValidationError({{"space.C.low", "must be > 0 for log scale"},
                                               {"max_trials", "must be between 1 and 1000000"}})));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(BodyOf(r), Json::parse(R"({"error":{
      "code":"invalid_argument",
      "message":"space.C.low: must be > 0 for log scale; max_trials: must be between 1 and 1000000",
      "field":"space.C.low",
      "problems":[{"field":"space.C.low","message":"must be > 0 for log scale"},
                  {"field":"max_trials","message":"must be between 1 and 1000000"}]}})"));
}

TEST(ErrorToResponseTest, InvalidUtf8InAMessageDoesNotThrow) {
  const Response r =
      ErrorToResponse(std::make_exception_ptr(Error(ErrorCode::kNotFound, "bad \xff byte")));
  EXPECT_EQ(r.status, 404);
  EXPECT_NO_THROW(Json::parse(r.body));
}

TEST(QueryTest, ParsesAndPercentDecodes) {
  const auto q = ParseQuery("state=running&name=a%20b+c&flag&empty=&x=%3D%26&&last=1&last=2");
  EXPECT_EQ(q.at("state"), "running");
  EXPECT_EQ(q.at("name"), "a b c");
  EXPECT_EQ(q.at("flag"), "");
  EXPECT_EQ(q.at("empty"), "");
  EXPECT_EQ(q.at("x"), "=&");
  EXPECT_EQ(q.at("last"), "2");
  EXPECT_EQ(q.size(), 6u);
  EXPECT_TRUE(ParseQuery("").empty());
}

TEST(QueryTest, MalformedEscapesStayLiteral) {
  EXPECT_EQ(PercentDecode("100%", true), "100%");
  EXPECT_EQ(PercentDecode("%zz%4", true), "%zz%4");
  EXPECT_EQ(PercentDecode("%C3%A9", false), "\xC3\xA9");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
}

}  // namespace
}  // namespace krige::http
