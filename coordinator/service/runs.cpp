#include "runs.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>

#include "krige/limits.hpp"

namespace krige::service {
namespace {

constexpr std::size_t kMaxProblems = 100;

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Collects problems; Throw() raises them together (a 400 naming every field).
class Problems {
 public:
  void Add(std::string field, std::string message) {
    if (problems_.size() < kMaxProblems)
      problems_.push_back({std::move(field), std::move(message)});
  }
  void Text(const std::string& field, const std::string& text, std::size_t max_bytes,
            bool allow_empty) {
    if (text.empty() && !allow_empty) return Add(field, "must not be empty");
    const std::string problem = TextProblem(text, max_bytes);
    if (!problem.empty()) return Add(field, problem);
    for (unsigned char c : text)
      if (c < 0x20 || c == 0x7f) return Add(field, "control characters are not allowed");
  }
  void Key(const std::string& field, const std::string& key) {
    Text(field, key, limits::kRunKeyBytes, false);
  }
  void Pairs(const std::string& field, const KeyValues& kvs, std::size_t max_count,
             std::size_t max_value, bool same_value_only) {
    if (kvs.size() > max_count)
      return Add(field, "at most " + std::to_string(max_count) + " per request");
    std::map<std::string, std::string> seen;
    for (std::size_t i = 0; i < kvs.size(); ++i) {
      const std::string f = field + "[" + std::to_string(i) + "]";
      Key(f + ".key", kvs[i].first);
      Text(f + ".value", kvs[i].second, max_value, true);
      const auto [it, fresh] = seen.emplace(kvs[i].first, kvs[i].second);
      if (!fresh && same_value_only && it->second != kvs[i].second)
        Add(f + ".value", "param \"" + kvs[i].first + "\" is given twice with different values");
    }
  }
  void Throw() const {
    if (!problems_.empty()) throw ValidationError(problems_);
  }

 private:
  std::vector<FieldProblem> problems_;
};

void CheckId(std::int64_t id, const char* field) {
  if (id < 1) throw Error(ErrorCode::kInvalidArgument, "an id is a positive integer", field);
}

// Strict decimal (no sign, no leading zero), within [0, max].
bool ParseCount(const std::string& text, std::int64_t max, std::int64_t& out) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) return false;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > max) return false;
  out = v;
  return true;
}

// A signed decimal in int64 (a timestamp).
bool ParseSigned(const std::string& text, std::int64_t& out) {
  if (!text.empty() && text[0] == '-') {
    std::int64_t v = 0;
    if (!ParseCount(text.substr(1), std::numeric_limits<std::int64_t>::max(), v)) return false;
    out = -v;
    return true;
  }
  return ParseCount(text, std::numeric_limits<std::int64_t>::max(), out);
}

}  // namespace

StoredRunService::StoredRunService(storage::RunRepository& runs, ArtifactStore& artifacts)
    : runs_(runs), artifacts_(artifacts) {
  spdlog::info("artifacts under {} ({})", artifacts.root(),
               artifacts.uses_openat2() ? "openat2, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS"
                                        : "openat with O_NOFOLLOW per component");
}

void StoredRunService::RequireRun(std::int64_t id) {
  CheckId(id, "id");
  if (!runs_.FindRun(id)) throw Error(ErrorCode::kNotFound, "no run " + std::to_string(id), "id");
}

CreatedRun StoredRunService::CreateRun(const CreateRunRequest& request) {
  Problems p;
  if (request.experiment_id && !request.experiment_name.empty())
    p.Add("experiment_id", "give experiment_id or experiment_name, not both");
  if (!request.experiment_id && request.experiment_name.empty())
    p.Add("experiment_name",
          "a run belongs to an experiment: give experiment_id or experiment_name");
  if (request.experiment_id && *request.experiment_id < 1)
    p.Add("experiment_id", "an id is a positive integer");
  if (!request.experiment_name.empty())
    p.Text("experiment_name", request.experiment_name, limits::kRunNameBytes, false);
  p.Text("name", request.name, limits::kRunNameBytes, true);
  p.Pairs("experiment_tags", request.experiment_tags, limits::kLogBatchTags,
          limits::kRunTagValueBytes, false);
  p.Pairs("params", request.params, limits::kLogBatchParams, limits::kRunParamValueBytes, true);
  p.Pairs("tags", request.tags, limits::kLogBatchTags, limits::kRunTagValueBytes, false);
  if (request.parent_run_id && *request.parent_run_id < 1)
    p.Add("parent_run_id", "an id is a positive integer");
  if (request.start_time &&
      (*request.start_time < 0 || *request.start_time > limits::kMetricStepMax))
    p.Add("start_time", "milliseconds since the Unix epoch, 0 to 2^53");
  p.Throw();

  TrackingExperiment experiment;
  if (request.experiment_id) {
    auto found = runs_.FindExperiment(*request.experiment_id);
    if (!found)
      throw Error(ErrorCode::kNotFound, "no experiment " + std::to_string(*request.experiment_id),
                  "experiment_id");
    experiment = std::move(*found);
    if (!request.experiment_tags.empty())
      experiment = *runs_.AddExperimentTags(experiment.id, request.experiment_tags);
  } else {
    experiment = runs_.EnsureExperiment(request.experiment_name, request.experiment_tags);
  }
  storage::NewRun run;
  run.experiment_id = experiment.id;
  run.name = request.name;
  run.params = request.params;
  run.tags = request.tags;
  run.parent_run_id = request.parent_run_id;
  run.start_time = request.start_time;
  return CreatedRun{runs_.CreateRun(run), true};
}

RunInfo StoredRunService::GetRun(std::int64_t id) {
  CheckId(id, "id");
  auto run = runs_.FindRun(id);
  if (!run) throw Error(ErrorCode::kNotFound, "no run " + std::to_string(id), "id");
  return std::move(*run);
}

RunInfo StoredRunService::GetTrialRun(std::int64_t trial_id) {
  CheckId(trial_id, "id");
  auto run = runs_.FindRunByTrial(trial_id);
  if (!run)
    throw Error(ErrorCode::kNotFound,
                "no trial " + std::to_string(trial_id) + " (or it has no run)", "id");
  return std::move(*run);
}

void StoredRunService::Log(std::int64_t id, const LogBatch& batch) {
  CheckId(id, "id");
  Problems p;
  if (batch.metrics.size() > limits::kLogBatchMetrics)
    p.Add("metrics", "at most " + std::to_string(limits::kLogBatchMetrics) +
                         " points per batch (send more batches)");
  else
    for (std::size_t i = 0; i < batch.metrics.size(); ++i) {
      // Checked with a fixed field first: a good point (almost all) builds no string.
      static const std::string kAny = "metrics[]";
      std::vector<FieldProblem> found;
      CheckMetricPoint(batch.metrics[i], kAny, found);
      if (found.empty()) continue;
      found.clear();
      CheckMetricPoint(batch.metrics[i], "metrics[" + std::to_string(i) + "]", found);
      for (auto& f : found) p.Add(std::move(f.field), std::move(f.message));
    }
  p.Pairs("params", batch.params, limits::kLogBatchParams, limits::kRunParamValueBytes, true);
  p.Pairs("tags", batch.tags, limits::kLogBatchTags, limits::kRunTagValueBytes, false);
  p.Throw();
  runs_.Log(id, batch);
}

RunInfo StoredRunService::End(std::int64_t id, RunStatus status,
                              std::optional<std::int64_t> end_time) {
  CheckId(id, "id");
  if (status == RunStatus::kRunning || status == RunStatus::kScheduled)
    throw Error(ErrorCode::kInvalidArgument, "a run ends finished, failed or killed", "status");
  if (end_time && (*end_time < 0 || *end_time > limits::kMetricStepMax))
    throw Error(ErrorCode::kInvalidArgument, "milliseconds since the Unix epoch, 0 to 2^53",
                "end_time");
  auto run = runs_.End(id, status, end_time.value_or(NowMs()));
  if (!run) throw Error(ErrorCode::kNotFound, "no run " + std::to_string(id), "id");
  return std::move(*run);
}

MetricPage StoredRunService::History(std::int64_t id, const std::string& key, int limit,
                                     const std::string& cursor) {
  Problems p;
  p.Key("key", key);
  p.Throw();
  std::optional<std::pair<std::int64_t, std::int64_t>> after;
  if (!cursor.empty()) {
    const auto colon = cursor.find(':');
    std::int64_t step = 0, ts = 0;
    if (cursor[0] != 's' || colon == std::string::npos ||
        !ParseCount(cursor.substr(1, colon - 1), limits::kMetricStepMax, step) ||
        !ParseSigned(cursor.substr(colon + 1), ts))
      throw Error(ErrorCode::kInvalidArgument, "not a cursor this list handed out", "cursor");
    after.emplace(step, ts);
  }
  RequireRun(id);
  MetricPage page;
  page.points = runs_.History(id, key, after, limit + 1);
  if (page.points.size() > static_cast<std::size_t>(limit)) {
    page.points.resize(static_cast<std::size_t>(limit));
    const MetricPoint& last = page.points.back();
    page.next_cursor = "s" + std::to_string(last.step) + ":" + std::to_string(last.timestamp);
  }
  return page;
}

RunPage StoredRunService::Search(const RunSearch& search) {
  if (search.experiment_ids.empty() || search.experiment_ids.size() > limits::kRunSearchExperiments)
    throw Error(ErrorCode::kInvalidArgument,
                "give 1 to " + std::to_string(limits::kRunSearchExperiments) + " experiment ids",
                "experiment_ids");
  for (std::size_t i = 0; i < search.experiment_ids.size(); ++i)
    CheckId(search.experiment_ids[i], ("experiment_ids[" + std::to_string(i) + "]").c_str());
  if (search.order_by.size() > limits::kRunOrderBy)
    throw Error(ErrorCode::kInvalidArgument,
                "at most " + std::to_string(limits::kRunOrderBy) + " clauses", "order_by");
  const FilterNode filter = ParseFilter(search.filter, "filter");
  std::vector<OrderBy> order;
  for (std::size_t i = 0; i < search.order_by.size(); ++i)
    order.push_back(ParseOrderBy(search.order_by[i], "order_by[" + std::to_string(i) + "]"));
  std::int64_t offset = 0;
  if (!search.cursor.empty() &&
      (search.cursor[0] != 'o' ||
       !ParseCount(search.cursor.substr(1), std::numeric_limits<std::int32_t>::max(), offset)))
    throw Error(ErrorCode::kInvalidArgument, "not a cursor this search handed out", "cursor");
  RunPage page;
  page.runs = runs_.Search(search.experiment_ids, filter, order, offset, search.limit + 1);
  if (page.runs.size() > static_cast<std::size_t>(search.limit)) {
    page.runs.resize(static_cast<std::size_t>(search.limit));
    page.next_cursor = "o" + std::to_string(offset + search.limit);
  }
  return page;
}

TrackingExperiment StoredRunService::GetExperiment(std::int64_t id) {
  CheckId(id, "id");
  auto e = runs_.FindExperiment(id);
  if (!e) throw Error(ErrorCode::kNotFound, "no experiment " + std::to_string(id), "id");
  return std::move(*e);
}

std::optional<TrackingExperiment> StoredRunService::FindExperiment(const std::string& name) {
  Problems p;
  p.Text("name", name, limits::kRunNameBytes, false);
  p.Throw();
  return runs_.FindExperimentByName(name);
}

std::vector<ExperimentRuns> StoredRunService::ListExperiments(int limit) {
  if (limit < 1 || limit > static_cast<int>(limits::kRunSearchPage))
    throw Error(ErrorCode::kInvalidArgument,
                "must be 1 to " + std::to_string(limits::kRunSearchPage), "limit");
  std::vector<ExperimentRuns> out;
  for (auto& [e, n] : runs_.ListExperiments(limit)) out.push_back({std::move(e), n});
  return out;
}

TrackingExperiment StoredRunService::SetExperimentTags(std::int64_t id, const KeyValues& tags) {
  CheckId(id, "id");
  Problems p;
  p.Pairs("tags", tags, limits::kLogBatchTags, limits::kRunTagValueBytes, false);
  p.Throw();
  auto e = runs_.AddExperimentTags(id, tags);
  if (!e) throw Error(ErrorCode::kNotFound, "no experiment " + std::to_string(id), "id");
  return std::move(*e);
}

ArtifactInfo StoredRunService::PutArtifact(std::int64_t id, const std::string& path,
                                           const std::string& bytes) {
  ArtifactPath(path);  // a bad path is a 400 before anything else is looked at
  if (bytes.size() > limits::kArtifactBytes)
    throw Error(ErrorCode::kPayloadTooLarge, "an artifact holds at most 256 MiB", "body");
  RequireRun(id);
  ArtifactInfo info = artifacts_.Put(id, path, bytes);
  spdlog::info("run {}: artifact {} ({} bytes) stored", id, info.path, info.size);
  return info;
}

std::string StoredRunService::GetArtifact(std::int64_t id, const std::string& path) {
  ArtifactPath(path);
  RequireRun(id);
  return artifacts_.Get(id, path);
}

std::vector<ArtifactInfo> StoredRunService::ListArtifacts(std::int64_t id) {
  RequireRun(id);
  return artifacts_.List(id);
}

}  // namespace krige::service
