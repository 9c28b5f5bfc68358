// The store of tracking experiments, runs and their metrics. The PostgreSQL implementation is
// coordinator/storage/pg/runs.cpp; the search tree (run_filter.hpp) is compiled there into
// parameterized SQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "krige/service/run_filter.hpp"
#include "krige/service/run_service.hpp"

namespace krige::storage {

struct NewRun {
  std::int64_t experiment_id = 0;
  std::string name;
  service::KeyValues params;
  service::KeyValues tags;
  std::optional<std::int64_t> parent_run_id;
  std::optional<std::int64_t> start_time;  // ms
};

// Thread-safe; every method is one transaction. Throws krige::Error: kUnavailable when the
// database cannot be reached, kNotFound for a run that does not exist (where stated),
// kFailedPrecondition for a param logged again with another value, kInternal otherwise.
class RunRepository {
 public:
  virtual ~RunRepository() = default;
  // The experiment called `name`, made now (with `tags`) when there is none; tags are merged
  // into an existing one.
  virtual TrackingExperiment EnsureExperiment(const std::string& name,
                                              const service::KeyValues& tags) = 0;
  virtual std::optional<TrackingExperiment> FindExperiment(std::int64_t id) = 0;
  virtual std::optional<TrackingExperiment> FindExperimentByName(const std::string& name) = 0;
  // The newest `limit` experiments (by id, newest first), with the number of runs of each.
  virtual std::vector<std::pair<TrackingExperiment, std::int64_t>> ListExperiments(int limit) = 0;
  virtual std::optional<TrackingExperiment> AddExperimentTags(std::int64_t id,
                                                              const service::KeyValues& tags) = 0;
  // kNotFound (field parent_run_id) when the parent does not exist.
  virtual RunInfo CreateRun(const NewRun& run) = 0;
  virtual std::optional<RunInfo> FindRun(std::int64_t id) = 0;
  virtual std::optional<RunInfo> FindRunByTrial(std::int64_t trial_id) = 0;
  // Points already stored (same run, key, step, timestamp) are skipped. Throws kNotFound for
  // an unknown run, kFailedPrecondition (field params.KEY) for a param with another value
  // stored, kInvalidArgument when the run would exceed limits::kRunParams / kRunTags.
  virtual void Log(std::int64_t id, const service::LogBatch& batch) = 0;
  // nullopt for an unknown run; kFailedPrecondition for a trial's run.
  virtual std::optional<RunInfo> End(std::int64_t id, RunStatus status, std::int64_t end_time) = 0;
  // Points of `key` after (after_step, after_ts) in (step, ts) order, at most `limit`.
  virtual std::vector<MetricPoint> History(
      std::int64_t id, const std::string& key,
      std::optional<std::pair<std::int64_t, std::int64_t>> after, int limit) = 0;
  // Runs of `experiment_ids` matching `filter`, ordered by `order_by` then newest start
  // first (then id), rows [offset, offset + limit).
  virtual std::vector<RunInfo> Search(const std::vector<std::int64_t>& experiment_ids,
                                      const service::FilterNode& filter,
                                      const std::vector<service::OrderBy>& order_by,
                                      std::int64_t offset, int limit) = 0;
};

}  // namespace krige::storage
