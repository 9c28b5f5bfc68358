#include "fake_experiment_service.hpp"

#include <algorithm>
#include <string>

#include "krige/error.hpp"

namespace krige::testing {
namespace {

std::size_t CursorOffset(const std::string& cursor) {
  if (cursor.empty()) return 0;
  try {
    std::size_t used = 0;
    const long long v = std::stoll(cursor, &used);
    if (used == cursor.size() && v >= 0) return static_cast<std::size_t>(v);
  } catch (const std::exception&) {
  }
  throw Error(ErrorCode::kInvalidArgument, "bad cursor", "cursor");
}

}  // namespace

Experiment FakeExperimentService::Create(const ExperimentSpec& spec) {
  auto problems = Validate(spec);
  if (!problems.empty()) throw ValidationError(std::move(problems));
  std::lock_guard<std::mutex> lock(mutex_);
  Experiment e;
  e.id = static_cast<std::int64_t>(experiments_.size()) + 1;
  e.spec = spec;
  e.state = ExperimentState::kRunning;
  e.created_at = "2026-01-01T00:00:" + std::to_string(10 + e.id % 50) + "Z";
  experiments_.push_back(e);
  return e;
}

service::ExperimentPage FakeExperimentService::List(const service::ExperimentQuery& query) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_experiment_query_ = query;
  // Cursor: the id of the last experiment on the previous page; the next page holds older ones.
  const std::size_t before =
      query.cursor.empty() ? experiments_.size() + 1 : CursorOffset(query.cursor);
  service::ExperimentPage page;
  for (auto it = experiments_.rbegin(); it != experiments_.rend(); ++it) {
    if (it->id == 0 || static_cast<std::size_t>(it->id) >= before) continue;  // 0: deleted
    if (query.state && it->state != *query.state) continue;
    if (static_cast<int>(page.experiments.size()) == query.limit) {
      page.next_cursor = std::to_string(page.experiments.back().id);
      break;
    }
    Experiment e = *it;
    e.best = BestOf(e);
    page.experiments.push_back(std::move(e));
  }
  return page;
}

Experiment FakeExperimentService::Get(std::int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Experiment e = Find(id);
  e.best = BestOf(e);
  return e;
}

service::TrialPage FakeExperimentService::Trials(std::int64_t experiment_id,
                                                 const service::TrialQuery& query) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++trial_lists_;
  last_trial_query_ = query;
  const Experiment& e = Find(experiment_id);
  std::vector<Trial> matching;
  for (const auto& t : trials_)
    if (t.experiment_id == experiment_id && (!query.state || t.state == *query.state))
      matching.push_back(t);
  if (query.sort == service::TrialSort::kValue) {
    const bool max = e.spec.objective.goal == Goal::kMaximize;
    std::stable_sort(matching.begin(), matching.end(), [max](const Trial& a, const Trial& b) {
      if (a.value.has_value() != b.value.has_value()) return a.value.has_value();
      return a.value && (max ? *a.value > *b.value : *a.value < *b.value);
    });
  } else if (query.descending) {
    std::reverse(matching.begin(), matching.end());
  }
  // The real cursors' forms ("n:<k>", "v:<value>:<k>", as the web layer checks them), with
  // an offset for <k>.
  const std::size_t offset =
      query.cursor.empty() ? 0 : CursorOffset(query.cursor.substr(query.cursor.rfind(':') + 1));
  service::TrialPage page;
  for (std::size_t i = offset; i < matching.size(); ++i) {
    if (static_cast<int>(page.trials.size()) == query.limit) {
      page.next_cursor = "n:" + std::to_string(i);
      break;
    }
    page.trials.push_back(matching[i]);
  }
  return page;
}

std::optional<Trial> FakeExperimentService::Best(std::int64_t experiment_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return BestOf(Find(experiment_id));
}

Trial FakeExperimentService::GetTrial(std::int64_t trial_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (trial_id < 1 || trial_id > static_cast<std::int64_t>(trials_.size()))
    throw Error(ErrorCode::kNotFound, "trial " + std::to_string(trial_id) + " not found");
  return trials_[trial_id - 1];
}

Experiment FakeExperimentService::Control(std::int64_t id, service::ExperimentAction action) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Experiment& e = Find(id);
    using S = ExperimentState;
    const bool active = e.state == S::kRunning || e.state == S::kPaused;
    const auto refuse = [&] {
      throw Error(ErrorCode::kFailedPrecondition,
                  "experiment is " + std::string(ExperimentStateName(e.state)));
    };
    switch (action) {
      case service::ExperimentAction::kStop:
        if (e.state != S::kStopped && !active) refuse();
        e.state = S::kStopped;
        break;
      case service::ExperimentAction::kPause:
        if (e.state != S::kPaused && e.state != S::kRunning) refuse();
        e.state = S::kPaused;
        break;
      case service::ExperimentAction::kResume:
        if (e.state == S::kCompleted || e.state == S::kFailed) refuse();
        e.state = S::kRunning;
        break;
    }
  }
  return Get(id);
}

void FakeExperimentService::Delete(std::int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Find(id).id = 0;  // Find treats id 0 as gone
}

std::optional<std::string> FakeExperimentService::TrialsVersion(std::int64_t experiment_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::to_string(Find(experiment_id).counts.total());
}

Trial FakeExperimentService::AddTrial(std::int64_t experiment_id, TrialState state,
                                      std::optional<double> value, Params params) {
  std::lock_guard<std::mutex> lock(mutex_);
  Experiment& e = Find(experiment_id);
  Trial t;
  t.id = static_cast<std::int64_t>(trials_.size()) + 1;
  t.experiment_id = experiment_id;
  t.number = e.counts.total();
  t.params = std::move(params);
  t.state = state;
  t.value = value;
  t.worker = "worker-1";
  t.created_at = "2026-01-01T00:01:00Z";
  switch (state) {
    case TrialState::kQueued:
      ++e.counts.queued;
      break;
    case TrialState::kRunning:
      ++e.counts.running;
      break;
    case TrialState::kCompleted:
      ++e.counts.completed;
      break;
    case TrialState::kFailed:
      ++e.counts.failed;
      t.error = "exit code 1";
      break;
    case TrialState::kPruned:
      ++e.counts.pruned;
      break;
  }
  trials_.push_back(t);
  return t;
}

service::ExperimentQuery FakeExperimentService::last_experiment_query() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_experiment_query_;
}

service::TrialQuery FakeExperimentService::last_trial_query() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_trial_query_;
}

Experiment& FakeExperimentService::Find(std::int64_t id) {
  if (id < 1 || id > static_cast<std::int64_t>(experiments_.size()) || experiments_[id - 1].id == 0)
    throw Error(ErrorCode::kNotFound, "experiment " + std::to_string(id) + " not found");
  return experiments_[id - 1];
}

std::optional<Trial> FakeExperimentService::BestOf(const Experiment& e) const {
  const bool max = e.spec.objective.goal == Goal::kMaximize;
  std::optional<Trial> best;
  for (const auto& t : trials_) {
    if (t.experiment_id != e.id || t.state != TrialState::kCompleted || !t.value) continue;
    if (!best || (max ? *t.value > *best->value : *t.value < *best->value)) best = t;
  }
  return best;
}

}  // namespace krige::testing
