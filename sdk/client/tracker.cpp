// Tracker and Run: the buffer LogMetric appends to, and the background thread that sends it.
#include "krige/tracker.hpp"
#include "connection.hpp"
#include "krige/worker.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace krige {
namespace {

using detail::NewConnection;

// Batches sent at once, each over its own connection: the server decodes one while the
// database stores another and this process encodes a third, so the rate is not one round trip
// at a time.
constexpr std::size_t kSenders = 3;

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

// The buffer: points go into `open_` (32-byte records whose key points at an interned entry
// holding the key and its JSON text, so logging allocates nothing per point); a full `open_`
// is sealed into `ready_` as a batch; senders (kSenders threads, each with its
// own connection when the transport can make one) take batches from `ready_` and POST them.
// Params and tags go only through sender 0, in the order they were logged, so a tag set twice
// ends with its last value. Every sealed batch has a number; Flush waits until every batch
// numbered up to the last one sealed at the call is done.
class RunState {
 public:
  RunState(Client client, TrackerOptions options, std::int64_t id)
      : client_(std::move(client)), options_(options), id_(id) {
    if (options_.max_batch == 0 || options_.max_batch > limits::kLogBatchMetrics)
      options_.max_batch = limits::kLogBatchMetrics;
    if (options_.max_buffered < options_.max_batch) options_.max_buffered = options_.max_batch;
    open_.reserve(options_.max_batch);
    std::vector<std::shared_ptr<Transport>> transports;
    for (std::size_t i = 0; i < kSenders; ++i) {
      std::shared_ptr<Transport> t = i == 0 ? nullptr : NewConnection(*client_.transport());
      transports.push_back(t ? t : client_.transport());
    }
    for (std::size_t i = 0; i < transports.size(); ++i)
      senders_.emplace_back([this, i, t = transports[i]] { Loop(i, *t); });
  }

  ~RunState() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      SealLocked();
    }
    wake_.notify_all();
    for (auto& t : senders_) t.join();
  }

  std::int64_t id() const { return id_; }

  void LogMetric(const std::string& key, double value, std::int64_t step, std::int64_t ts) {
    if (key.empty() || key.size() > limits::kRunKeyBytes) CheckKey(key, "metric");
    if (step < 0 || step > limits::kMetricStepMax)
      throw Error(ErrorCode::kInvalidArgument, "a step is an integer from 0 to 2^53", "step");
    if (ts == 0) ts = NowMs();
    std::unique_lock<std::mutex> lock(mu_);
    if (buffered_ >= options_.max_buffered)
      room_.wait(lock, [&] { return buffered_ < options_.max_buffered || stop_; });
    if (!last_key_ || last_key_->first != key) last_key_ = Intern(key);
    open_.push_back(Point{last_key_, value, step, ts});
    ++buffered_;
    if (open_.size() >= options_.max_batch) {
      SealLocked();
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
    wake_.notify_all();
  }

  void Flush() {
    std::unique_lock<std::mutex> lock(mu_);
    SealLocked();
    const std::uint64_t target = sealed_;
    wake_.notify_all();
    flushed_.wait(lock, [&] { return outstanding_.empty() || *outstanding_.begin() > target; });
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
  using Key = std::pair<const std::string, std::string>;  // the key, its JSON text
  struct Point {
    const Key* key;
    double value;
    std::int64_t step, timestamp;
  };
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  struct Batch {
    std::uint64_t number = 0;
    std::vector<Point> points;
    Pairs params, tags;
  };

  // Keys are kept for the run's life (nodes of a map do not move, so a batch being encoded
  // may point at them while new keys are added).
  const Key* Intern(const std::string& key) {
    auto it = keys_.find(key);
    if (it == keys_.end())
      it = keys_.emplace(key, Json(key).dump(-1, ' ', false, Json::error_handler_t::replace)).first;
    return &*it;
  }

  // Turns what is buffered (points in open_, params, tags) into numbered batches.
  void SealLocked() {
    if (!open_.empty()) {
      Batch b;
      b.number = ++sealed_;
      b.points.swap(open_);
      if (!spare_.empty()) {
        open_.swap(spare_.back());
        spare_.pop_back();
      }
      open_.reserve(options_.max_batch);
      outstanding_.insert(b.number);
      ready_.push_back(std::move(b));
    }
    while (!params_.empty() || !tags_.empty()) {
      Batch b;
      b.number = ++sealed_;
      const std::size_t np = std::min(params_.size(), limits::kLogBatchParams);
      const std::size_t nt = std::min(tags_.size(), limits::kLogBatchTags);
      b.params.assign(params_.begin(), params_.begin() + np);
      b.tags.assign(tags_.begin(), tags_.begin() + nt);
      params_.erase(params_.begin(), params_.begin() + np);
      tags_.erase(tags_.begin(), tags_.begin() + nt);
      outstanding_.insert(b.number);
      pairs_.push_back(std::move(b));
    }
  }

  bool HasWork(std::size_t sender) const {
    return !ready_.empty() || (sender == 0 && !pairs_.empty());
  }

  // One sender: waits for a sealed batch (sealing what is buffered when flush_interval passes
  // without one), sends it, records the outcome.
  void Loop(std::size_t sender, Transport& transport) {
    std::unique_lock<std::mutex> lock(mu_);
    std::string body;
    while (true) {
      if (!HasWork(sender) && !stop_) {
        const bool woken =
            wake_.wait_for(lock, options_.flush_interval, [&] { return stop_ || HasWork(sender); });
        if (!woken) SealLocked();  // the interval passed: what is buffered goes now
      }
      if (!HasWork(sender)) {
        if (stop_ && (sender != 0 || pairs_.empty()) && ready_.empty()) return;
        continue;
      }
      Batch batch;
      if (sender == 0 && !pairs_.empty()) {
        batch = std::move(pairs_.front());
        pairs_.pop_front();
      } else {
        batch = std::move(ready_.front());
        ready_.pop_front();
      }
      const bool skip = stop_ && gone_;
      lock.unlock();
      Encode(batch, body);
      const bool ok = !skip && Deliver(transport, body);
      lock.lock();
      if (!ok && stop_) gone_ = true;  // the server is away for good: drop the rest at once
      (ok ? sent_ : dropped_) += batch.points.size();
      buffered_ -= batch.points.size();
      outstanding_.erase(batch.number);
      batch.points.clear();
      if (batch.points.capacity() > 0 && spare_.size() < kSenders)
        spare_.push_back(std::move(batch.points));
      room_.notify_all();
      flushed_.notify_all();
    }
  }

  static void EncodePairs(std::string& out, const Pairs& kvs) {
    out += PairsJson(kvs).dump(-1, ' ', false, Json::error_handler_t::replace);
  }

  void Encode(const Batch& batch, std::string& out) {
    out.clear();
    out.reserve(64 + batch.points.size() * 72);
    out += "{\"metrics\":[";
    for (std::size_t i = 0; i < batch.points.size(); ++i) {
      const Point& p = batch.points[i];
      if (i) out += ',';
      out += "{\"key\":";
      out += p.key->second;
      out += ",\"value\":";
      AppendDouble(out, p.value);
      out += ",\"step\":";
      AppendInt(out, p.step);
      out += ",\"timestamp\":";
      AppendInt(out, p.timestamp);
      out += '}';
    }
    out += ']';
    if (!batch.params.empty()) {
      out += ",\"params\":";
      EncodePairs(out, batch.params);
    }
    if (!batch.tags.empty()) {
      out += ",\"tags\":";
      EncodePairs(out, batch.tags);
    }
    out += '}';
  }

  // Sends one batch until it is stored, refused for good, or retry_for has passed.
  bool Deliver(Transport& transport, const std::string& body) {
    const auto give_up = std::chrono::steady_clock::now() + options_.retry_for;
    auto backoff = std::chrono::milliseconds(50);
    HttpRequest request;
    request.method = "POST";
    request.target = "/api/v1/runs/" + std::to_string(id_) + "/log";
    request.headers["Accept"] = "application/json";
    request.headers["Content-Type"] = "application/json";
    request.body = body;
    while (true) {
      try {
        const HttpResponse response = transport.Send(request);
        if (response.status >= 200 && response.status <= 299) return true;
        ThrowHttpError(response);
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
  std::map<std::string, std::string> keys_;  // key -> its JSON text
  const Key* last_key_ = nullptr;
  std::vector<Point> open_;
  std::vector<std::vector<Point>> spare_;  // emptied batches' storage, reused
  std::deque<Batch> ready_, pairs_;        // sealed: points; params and tags (sender 0)
  Pairs params_, tags_;
  std::set<std::uint64_t> outstanding_;  // sealed batches not yet done
  std::uint64_t sealed_ = 0;
  std::size_t buffered_ = 0, sent_ = 0, dropped_ = 0;
  std::exception_ptr error_;
  bool stop_ = false, gone_ = false, ended_ = false, keep_open_ = false;
  std::vector<std::thread> senders_;  // last: started once everything above exists
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
