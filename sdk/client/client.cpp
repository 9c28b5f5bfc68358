// Client: REST calls mapped onto the codecs of sdk/core. No socket code here (see
// http_transport.cpp).
#include "krige/client.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <utility>

namespace krige {
namespace {

constexpr int kPageSize = 100;

ErrorCode CodeForStatus(int status) {
  switch (status) {
    case 400:
      return ErrorCode::kInvalidArgument;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kAlreadyExists;
    case 413:
      return ErrorCode::kPayloadTooLarge;
    case 502:
    case 503:
    case 504:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

const char* SortName(TrialSort sort) {
  switch (sort) {
    case TrialSort::kNumber:
      return "number";
    case TrialSort::kNumberDesc:
      return "-number";
    case TrialSort::kValue:
      return "value";
  }
  return "number";
}

// Reads pages of `key` from `target`, following next_cursor.
template <typename T, typename Decode>
std::vector<T> ReadPages(const std::string& target, const char* key, int limit, Decode decode,
                         const std::function<Json(const std::string&)>& get) {
  std::vector<T> out;
  std::string cursor;
  while (true) {
    int page = kPageSize;
    if (limit > 0) page = std::min(page, limit - static_cast<int>(out.size()));
    std::string url = target + (target.find('?') == std::string::npos ? "?" : "&") +
                      "limit=" + std::to_string(page);
    if (!cursor.empty()) url += "&cursor=" + PercentEncode(cursor);
    const Json body = get(url);
    const Json& items = body.at(key);
    for (const auto& item : items) {
      out.push_back(decode(item));
      if (limit > 0 && static_cast<int>(out.size()) >= limit) return out;
    }
    cursor = body.value("next_cursor", "");
    // An empty page with a cursor would loop forever; treat it as the end.
    if (cursor.empty() || items.empty()) return out;
  }
}

}  // namespace

std::string PercentEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void ThrowHttpError(const HttpResponse& response) {
  const ErrorCode fallback = CodeForStatus(response.status);
  Json body;
  try {
    body = Json::parse(response.body);
  } catch (const Json::exception&) {
    std::string snippet = response.body.substr(0, 200);
    throw Error(fallback, "HTTP " + std::to_string(response.status) +
                              (snippet.empty() ? std::string() : ": " + snippet));
  }
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object())
    throw Error(fallback, "HTTP " + std::to_string(response.status) + ": " + body.dump());
  const Json& e = body["error"];
  const auto str = [&e](const char* k) {
    return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : std::string();
  };
  const std::string code_name = str("code");
  const ErrorCode code = code_name.empty() ? fallback : ErrorCodeFromName(code_name);
  std::string message = str("message");
  if (message.empty()) message = "HTTP " + std::to_string(response.status);
  if (e.contains("problems") && e["problems"].is_array() && !e["problems"].empty()) {
    std::vector<FieldProblem> problems;
    for (const auto& p : e["problems"]) {
      if (!p.is_object()) continue;
      problems.push_back({p.value("field", ""), p.value("message", "")});
    }
    if (!problems.empty()) throw ValidationError(std::move(problems));
  }
  if (code == ErrorCode::kInvalidArgument && !str("field").empty())
    throw ValidationError({{str("field"), message}});
  throw Error(code, message, str("field"));
}

Client::Client(std::shared_ptr<Transport> transport) : transport_(std::move(transport)) {}

Client Client::Connect(const std::string& base_url, std::chrono::milliseconds timeout,
                       const std::optional<std::string>& token, const std::string& ca_file) {
  return Client(
      MakeHttpTransport(base_url, timeout, token ? *token : DefaultToken(base_url), ca_file));
}

Json Client::Call(const std::string& method, const std::string& target, const std::string& body,
                  const std::string& content_type) const {
  HttpRequest request;
  request.method = method;
  request.target = target;
  request.body = body;
  request.headers["Accept"] = "application/json";
  if (!content_type.empty()) request.headers["Content-Type"] = content_type;
  const HttpResponse response = transport_->Send(request);
  if (response.status < 200 || response.status > 299) ThrowHttpError(response);
  if (response.body.empty()) return Json();
  try {
    return Json::parse(response.body);
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kInternal,
                "malformed JSON from server on " + method + " " + target + ": " + e.what());
  }
}

Experiment Client::CreateExperiment(const ExperimentSpec& spec) const {
  return ExperimentFromJson(Call("POST", "/api/v1/experiments", ToJson(spec).dump()));
}

Json Client::GetExperimentJson(std::int64_t id) const {
  return Call("GET", "/api/v1/experiments/" + std::to_string(id), "");
}

Experiment Client::GetExperiment(std::int64_t id) const {
  return ExperimentFromJson(GetExperimentJson(id));
}

std::vector<Experiment> Client::ListExperiments(int limit) const {
  return ReadPages<Experiment>(
      "/api/v1/experiments", "experiments", limit,
      [](const Json& j) { return ExperimentFromJson(j); },
      [this](const std::string& url) { return Call("GET", url, ""); });
}

std::vector<Trial> Client::ListTrials(std::int64_t experiment_id, TrialSort sort, int limit,
                                      std::optional<TrialState> state) const {
  std::string target = "/api/v1/experiments/" + std::to_string(experiment_id) +
                       "/trials?sort=" + PercentEncode(SortName(sort));
  if (state) target += "&state=" + std::string(TrialStateName(*state));
  return ReadPages<Trial>(
      target, "trials", limit, [](const Json& j) { return TrialFromJson(j); },
      [this](const std::string& url) { return Call("GET", url, ""); });
}

std::optional<Trial> Client::Best(std::int64_t experiment_id) const {
  try {
    return TrialFromJson(
        Call("GET", "/api/v1/experiments/" + std::to_string(experiment_id) + "/best", ""));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
  }
  // 404 means either "no best yet" or "no such experiment"; the latter must throw.
  GetExperimentJson(experiment_id);
  return std::nullopt;
}

Experiment Client::Stop(std::int64_t id) const {
  return ExperimentFromJson(
      Call("POST", "/api/v1/experiments/" + std::to_string(id) + "/stop", ""));
}

Experiment Client::Pause(std::int64_t id) const {
  return ExperimentFromJson(
      Call("POST", "/api/v1/experiments/" + std::to_string(id) + "/pause", ""));
}

Experiment Client::Resume(std::int64_t id) const {
  return ExperimentFromJson(
      Call("POST", "/api/v1/experiments/" + std::to_string(id) + "/resume", ""));
}

void Client::Delete(std::int64_t id) const {
  Call("DELETE", "/api/v1/experiments/" + std::to_string(id), "");
}

namespace {

DatasetInfo DatasetFromJson(const Json& j) {
  try {
    DatasetInfo d;
    d.sha256 = j.at("sha256").get<std::string>();
    d.name = j.value("name", "");
    d.size = j.value("size", std::int64_t{0});
    d.created_at = j.value("created_at", "");
    return d;
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kInternal, std::string("malformed dataset from server: ") + e.what());
  }
}

}  // namespace

DatasetInfo Client::UploadDataset(const std::string& name, const std::string& bytes) const {
  return DatasetFromJson(
      Call("POST", "/api/v1/datasets?name=" + PercentEncode(name), bytes, "text/csv"));
}

std::optional<DatasetInfo> Client::FindDataset(const std::string& sha256) const {
  try {
    return DatasetFromJson(Call("GET", "/api/v1/datasets/" + PercentEncode(sha256) + "/info", ""));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
  }
  return std::nullopt;
}

std::string Client::DownloadDataset(const std::string& sha256,
                                    const std::string& capability) const {
  HttpRequest request;
  request.target = "/api/v1/datasets/" + PercentEncode(sha256);
  if (!capability.empty()) request.headers["X-Krige-Capability"] = capability;
  HttpResponse response = transport_->Send(request);
  if (response.status != 200) ThrowHttpError(response);
  return std::move(response.body);
}

namespace {

TokenInfo TokenFromJson(const Json& j) {
  try {
    const auto str = [&j](const char* k) {
      return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
    };
    TokenInfo t;
    t.id = j.at("id").get<std::int64_t>();
    t.name = str("name");
    t.role = TokenRoleFromName(str("role"));
    t.created_at = str("created_at");
    t.last_used_at = str("last_used_at");
    t.revoked_at = str("revoked_at");
    return t;
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kInternal, std::string("malformed token from server: ") + e.what());
  } catch (const Error& e) {
    throw Error(ErrorCode::kInternal, std::string("malformed token from server: ") + e.what());
  }
}

}  // namespace

CreatedToken Client::CreateToken(const std::string& name, Role role) const {
  const Json j = Call("POST", "/api/v1/tokens",
                      Json{{"name", name}, {"role", std::string(RoleName(role))}}.dump());
  CreatedToken out;
  out.info = TokenFromJson(j);
  out.secret = j.value("token", "");
  if (out.secret.empty()) throw Error(ErrorCode::kInternal, "the server sent no token");
  return out;
}

std::vector<TokenInfo> Client::ListTokens() const {
  const Json j = Call("GET", "/api/v1/tokens", "");
  std::vector<TokenInfo> out;
  if (j.contains("tokens") && j["tokens"].is_array())
    for (const auto& t : j["tokens"]) out.push_back(TokenFromJson(t));
  return out;
}

TokenInfo Client::RevokeToken(std::int64_t id) const {
  return TokenFromJson(Call("DELETE", "/api/v1/tokens/" + std::to_string(id), ""));
}

namespace {

WorkerInfo WorkerFromJson(const Json& j) {
  try {
    WorkerInfo w;
    w.id = j.at("id").get<std::string>();
    w.hostname = j.value("hostname", "");
    w.slots = j.value("slots", 0);
    w.version = j.value("version", "");
    w.state = j.value("state", "");
    w.first_seen = j.value("first_seen", "");
    w.last_seen = j.value("last_seen", "");
    if (j.contains("trials") && j["trials"].is_object()) {
      w.running = j["trials"].value("running", 0);
      w.done = j["trials"].value("done", 0);
    }
    w.kinds = j.value("kinds", std::vector<std::string>{});
    return w;
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kInternal, std::string("malformed worker from server: ") + e.what());
  }
}

}  // namespace

Trial Client::GetTrial(std::int64_t experiment_id, int number) const {
  return TrialFromJson(Call(
      "GET",
      "/api/v1/experiments/" + std::to_string(experiment_id) + "/trials/" + std::to_string(number),
      ""));
}

std::vector<WorkerInfo> Client::ListWorkers(int limit) const {
  return ReadPages<WorkerInfo>(
      "/api/v1/workers", "workers", limit, [](const Json& j) { return WorkerFromJson(j); },
      [this](const std::string& url) { return Call("GET", url, ""); });
}

bool Client::Healthy() const {
  try {
    HttpRequest request;
    request.target = "/healthz";
    return transport_->Send(request).status == 200;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace krige
