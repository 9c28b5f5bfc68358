// Tracker and Run: the buffer LogMetric appends to, and the background thread that sends it.
#include "krige/tracker.hpp"
#include "krige/worker.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace krige {
namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "a/b c" -> "a/b%20c": each segment encoded, the slashes kept.
std::string PercentEncodePath(const std::string& path) {
  std::string out;
  std::size_t begin = 0;
  while (true) {
    const auto slash = path.find('/', begin);
    out += PercentEncode(path.substr(begin, slash == std::string::npos ? slash : slash - begin));
    if (slash == std::string::npos) break;
    out += '/';
    begin = slash + 1;
  }
  return out;
}

Json Send(const Client& client, const std::string& method, const std::string& target,
          const std::string& body, const std::string& content_type = "application/json") {
  HttpRequest request;
  request.method = method;
  request.target = target;
  request.body = body;
  request.headers["Accept"] = "application/json";
  if (!body.empty()) request.headers["Content-Type"] = content_type;
  const HttpResponse response = client.transport()->Send(request);
  if (response.status < 200 || response.status > 299) ThrowHttpError(response);
  if (response.body.empty()) return Json();
  try {
    return Json::parse(response.body);
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kInternal, "malformed JSON from server on " + method + " " + target);
  }
}

// Retrying makes sense for these; anything else (a 4xx) will not change by sending again.
bool Transient(ErrorCode code) {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kInternal;
}

void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "\"NaN\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buf[32];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  }
}

void AppendInt(std::string& out, std::int64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void CheckKey(const std::string& key, const char* what) {
  if (key.empty() || key.size() > limits::kRunKeyBytes)
    throw Error(ErrorCode::kInvalidArgument,
                std::string("a ") + what + " key has 1 to " + std::to_string(limits::kRunKeyBytes) +
                    " bytes",
                "key");
}

Json PairsJson(const std::vector<std::pair<std::string, std::string>>& kvs) {
  Json out = Json::array();
  for (const auto& [k, v] : kvs) out.push_back({{"key", k}, {"value", v}});
  return out;
}

}  // namespace

namespace detail {

class RunState {
 public:
  RunState(Client client, TrackerOptions options, std::int64_t id)
      : client_(std::move(client)), options_(options), id_(id) {
    if (options_.max_batch == 0 || options_.max_batch > limits::kLogBatchMetrics)
      options_.max_batch = limits::kLogBatchMetrics;
    if (options_.max_buffered < options_.max_batch) options_.max_buffered = options_.max_batch;
    pending_.reserve(options_.max_batch);
    thread_ = std::thread([this] { Loop(); });
  }

  ~RunState() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  std::int64_t id() const { return id_; }

  void LogMetric(const std::string& key, double value, std::int64_t step, std::int64_t ts) {
    if (key.empty() || key.size() > limits::kRunKeyBytes) CheckKey(key, "metric");
    if (step < 0 || step > limits::kMetricStepMax)
      throw Error(ErrorCode::kInvalidArgument, "a step is an integer from 0 to 2^53", "step");
    if (ts == 0) ts = NowMs();
    std::unique_lock<std::mutex> lock(mu_);
    if (pending_.size() + in_flight_ >= options_.max_buffered)
      room_.wait(lock,
                 [&] { return pending_.size() + in_flight_ < options_.max_buffered || stop_; });
    pending_.push_back(MetricPoint{key, value, step, ts});
    if (pending_.size() == options_.max_batch) {
      lock.unlock();
      wake_.notify_one();
    }
  }

  void LogPair(bool param, const std::string& key, const std::string& value) {
    CheckKey(key, param ? "param" : "tag");
    {
      std::lock_guard<std::mutex> lock(mu_);
      (param ? params_ : tags_).emplace_back(key, value);
    }
    wake_.notify_one();
  }

  void Flush() {
    std::unique_lock<std::mutex> lock(mu_);
    const std::uint64_t target = ++flush_requested_;
    wake_.notify_one();
    flushed_.wait(lock, [&] { return flush_done_ >= target; });
    if (error_) {
      const std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

  void End(RunStatus status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ended_) return;
    }
    std::exception_ptr flush_error;
    try {
      Flush();
    } catch (...) {
      flush_error = std::current_exception();
    }
    Send(client_, "POST", "/api/v1/runs/" + std::to_string(id_) + "/end",
         Json{{"status", RunStatusName(status)}}.dump());
    {
      std::lock_guard<std::mutex> lock(mu_);
      ended_ = true;
    }
    if (flush_error) std::rethrow_exception(flush_error);
  }

  bool ended() {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_;
  }
  // A trial's run: the scheduler ends it; the last handle only flushes.
  void KeepOpen() { keep_open_ = true; }
  bool keep_open() const { return keep_open_; }

  void LogArtifact(const std::string& artifact_path, const std::string& local_path) {
    std::ifstream in(local_path, std::ios::binary);
    if (!in) throw Error(ErrorCode::kInvalidArgument, "cannot read " + local_path, "local_path");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    Send(client_, "PUT",
         "/api/v1/runs/" + std::to_string(id_) + "/artifacts/" + PercentEncodePath(artifact_path),
         bytes.str(), "application/octet-stream");
  }

  std::size_t sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }
  std::size_t dropped() {
    std::lock_guard<std::mutex> lock(mu_);
    return dropped_;
  }

 private:
  // The background thread: waits for a full batch, the flush interval, a Flush or the end,
  // then sends what is pending in batches of max_batch.
  void Loop() {
    std::vector<MetricPoint> batch;
    batch.reserve(options_.max_batch);
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      wake_.wait_for(lock, options_.flush_interval, [&] {
        return stop_ || pending_.size() >= options_.max_batch || flush_requested_ > flush_done_;
      });
      const std::uint64_t flush_target = flush_requested_;
      while (!pending_.empty() || !params_.empty() || !tags_.empty()) {
        // Take at most one batch; LogMetric keeps appending to pending_ meanwhile.
        batch.clear();
        if (pending_.size() <= options_.max_batch) {
          batch.swap(pending_);
          pending_.reserve(options_.max_batch);
        } else {
          batch.assign(std::make_move_iterator(pending_.begin()),
                       std::make_move_iterator(pending_.begin() + options_.max_batch));
          pending_.erase(pending_.begin(), pending_.begin() + options_.max_batch);
        }
        const std::size_t np = std::min(params_.size(), limits::kLogBatchParams);
        const std::size_t nt = std::min(tags_.size(), limits::kLogBatchTags);
        std::vector<std::pair<std::string, std::string>> params(params_.begin(),
                                                                params_.begin() + np);
        std::vector<std::pair<std::string, std::string>> tags(tags_.begin(), tags_.begin() + nt);
        params_.erase(params_.begin(), params_.begin() + np);
        tags_.erase(tags_.begin(), tags_.begin() + nt);
        in_flight_ = batch.size();
        lock.unlock();
        const std::string body = Body(batch, params, tags);
        const bool ok = Deliver(body);
        lock.lock();
        in_flight_ = 0;
        (ok ? sent_ : dropped_) += batch.size();
        room_.notify_all();
        if (stop_ && !ok) break;  // the server is gone for good: do not retry the rest forever
      }
      if (flush_target > flush_done_) {
        flush_done_ = flush_target;
        flushed_.notify_all();
      }
      if (stop_) {
        flush_done_ = flush_requested_;
        flushed_.notify_all();
        return;
      }
    }
  }

  std::string Body(const std::vector<MetricPoint>& batch,
                   const std::vector<std::pair<std::string, std::string>>& params,
                   const std::vector<std::pair<std::string, std::string>>& tags) {
    std::string out;
    out.reserve(64 + batch.size() * 64);
    out += "{\"metrics\":[";
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const MetricPoint& p = batch[i];
      if (i) out += ',';
      auto it = escaped_.find(p.key);
      if (it == escaped_.end()) {
        if (escaped_.size() > 10000) escaped_.clear();
        it = escaped_
                 .emplace(p.key, Json(p.key).dump(-1, ' ', false, Json::error_handler_t::replace))
                 .first;
      }
      out += "{\"key\":";
      out += it->second;
      out += ",\"value\":";
      AppendDouble(out, p.value);
      out += ",\"step\":";
      AppendInt(out, p.step);
      out += ",\"timestamp\":";
      AppendInt(out, p.timestamp);
      out += '}';
    }
    out += "],\"params\":";
    out += PairsJson(params).dump(-1, ' ', false, Json::error_handler_t::replace);
    out += ",\"tags\":";
    out += PairsJson(tags).dump(-1, ' ', false, Json::error_handler_t::replace);
    out += '}';
    return out;
  }

  // Sends one batch until it is stored, refused for good, or retry_for has passed.
  bool Deliver(const std::string& body) {
    const auto give_up = std::chrono::steady_clock::now() + options_.retry_for;
    auto backoff = std::chrono::milliseconds(50);
    while (true) {
      try {
        Send(client_, "POST", "/api/v1/runs/" + std::to_string(id_) + "/log", body);
        return true;
      } catch (const Error& e) {
        if (!Transient(e.code()) || std::chrono::steady_clock::now() >= give_up) {
          std::lock_guard<std::mutex> lock(mu_);
          error_ = std::current_exception();
          return false;
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        error_ = std::current_exception();
        return false;
      }
      {
        // Sleep, but wake early when the run is being torn down.
        std::unique_lock<std::mutex> lock(mu_);
        if (stop_ && std::chrono::steady_clock::now() >= give_up) return false;
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
    }
  }

  Client client_;
  TrackerOptions options_;
  const std::int64_t id_;
  std::mutex mu_;
  std::condition_variable wake_, room_, flushed_;
  std::vector<MetricPoint> pending_;
  std::vector<std::pair<std::string, std::string>> params_, tags_;
  std::size_t in_flight_ = 0, sent_ = 0, dropped_ = 0;
  std::uint64_t flush_requested_ = 0, flush_done_ = 0;
  std::exception_ptr error_;
  bool stop_ = false, ended_ = false, keep_open_ = false;
  std::unordered_map<std::string, std::string> escaped_;  // the loop thread's only
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace detail

Run::~Run() {
  if (!state_ || state_.use_count() > 1 || state_->ended()) return;
  try {
    if (state_->keep_open()) {
      state_->Flush();
      return;
    }
    state_->End(std::uncaught_exceptions() > 0 ? RunStatus::kFailed : RunStatus::kFinished);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "krige: run %lld could not be ended: %s\n",
                 static_cast<long long>(state_->id()), e.what());
  }
}

std::int64_t Run::id() const {
  return state_ ? state_->id() : 0;
}

void Run::LogMetric(const std::string& key, double value, std::int64_t step,
                    std::int64_t timestamp_ms) {
  state_->LogMetric(key, value, step, timestamp_ms);
}
void Run::LogParam(const std::string& key, const std::string& value) {
  state_->LogPair(true, key, value);
}
void Run::SetTag(const std::string& key, const std::string& value) {
  state_->LogPair(false, key, value);
}
void Run::LogArtifact(const std::string& artifact_path, const std::string& local_path) {
  state_->LogArtifact(artifact_path, local_path);
}
void Run::Flush() {
  state_->Flush();
}
void Run::End(RunStatus status) {
  state_->End(status);
}
std::size_t Run::points_sent() const {
  return state_->sent();
}
std::size_t Run::points_dropped() const {
  return state_->dropped();
}

Tracker::Tracker(Client client, TrackerOptions options)
    : client_(std::move(client)), options_(options) {}

Run Tracker::StartRun(const std::string& experiment,
                      const std::map<std::string, std::string>& params,
                      const std::map<std::string, std::string>& tags, const std::string& name,
                      std::optional<std::int64_t> parent_run_id) {
  Json body = {{"experiment_name", experiment}, {"name", name}};
  body["params"] = params;
  body["tags"] = tags;
  if (parent_run_id) body["parent_run_id"] = *parent_run_id;
  const Json created = Send(client_, "POST", "/api/v1/runs", body.dump());
  return AttachRun(created.at("run").at("id").get<std::int64_t>());
}

Run Tracker::AttachRun(std::int64_t run_id) {
  return Run(std::make_shared<detail::RunState>(client_, options_, run_id));
}

Run Tracker::TrialRun(std::int64_t trial_id) {
  const Json run = Send(client_, "GET", "/api/v1/trials/" + std::to_string(trial_id) + "/run", "");
  auto state = std::make_shared<detail::RunState>(client_, options_,
                                                  run.at("run").at("id").get<std::int64_t>());
  state->KeepOpen();
  return Run(std::move(state));
}

RunInfo Tracker::GetRun(std::int64_t run_id) const {
  return RunInfoFromJson(
      Send(client_, "GET", "/api/v1/runs/" + std::to_string(run_id), "").at("run"));
}

std::vector<RunInfo> Tracker::SearchRuns(const RunQuery& query) const {
  std::vector<RunInfo> out;
  std::string cursor;
  while (true) {
    Json body = {{"experiment_names", query.experiment_names},
                 {"experiment_ids", query.experiment_ids},
                 {"filter", query.filter},
                 {"order_by", query.order_by}};
    int page = limits::kRunSearchPage;
    if (query.limit > 0) page = std::min(page, query.limit - static_cast<int>(out.size()));
    body["limit"] = page;
    if (!cursor.empty()) body["cursor"] = cursor;
    const Json result = Send(client_, "POST", "/api/v1/runs/search", body.dump());
    for (const auto& r : result.at("runs")) out.push_back(RunInfoFromJson(r));
    cursor = result.value("next_cursor", "");
    if (cursor.empty() || (query.limit > 0 && static_cast<int>(out.size()) >= query.limit))
      return out;
  }
}

std::vector<MetricPoint> Tracker::MetricHistory(std::int64_t run_id, const std::string& key) const {
  std::vector<MetricPoint> out;
  std::string cursor;
  while (true) {
    std::string target = "/api/v1/runs/" + std::to_string(run_id) + "/metrics/" +
                         PercentEncode(key) +
                         "?limit=" + std::to_string(limits::kMetricHistoryPage);
    if (!cursor.empty()) target += "&cursor=" + PercentEncode(cursor);
    const Json page = Send(client_, "GET", target, "");
    for (const auto& p : page.at("points"))
      out.push_back(MetricPoint{key, MetricValueFromJson(p.at("value"), "value"),
                                p.at("step").get<std::int64_t>(),
                                p.at("timestamp").get<std::int64_t>()});
    cursor = page.value("next_cursor", "");
    if (cursor.empty()) return out;
  }
}

std::optional<TrackingExperiment> Tracker::FindExperiment(const std::string& name_or_id) const {
  try {
    return TrackingExperimentFromJson(
        Send(client_, "GET", "/api/v1/tracking/experiments/" + PercentEncode(name_or_id), "")
            .at("experiment"));
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return std::nullopt;
    throw;
  }
}

Run TrialContext::TrackingRun(TrackerOptions options) const {
  if (api_url.empty())
    throw Error(ErrorCode::kFailedPrecondition,
                "the coordinator sent no REST API address with this trial (krige-server "
                "--advertise-http)");
  return Tracker(Client::Connect(api_url), options).TrialRun(trial_id);
}

}  // namespace krige
