// RunService over the RunRepository and an ArtifactStore: the input checks (docs/api.md,
// "Limits") and cursors live here, the rows in the store, the files under the artifact root.
#pragma once

#include "artifacts.hpp"
#include "krige/service/run_service.hpp"
#include "krige/storage/runs.hpp"

namespace krige::service {

class StoredRunService : public RunService {
 public:
  StoredRunService(storage::RunRepository& runs, ArtifactStore& artifacts);

  CreatedRun CreateRun(const CreateRunRequest& request) override;
  RunInfo GetRun(std::int64_t id) override;
  RunInfo GetTrialRun(std::int64_t trial_id) override;
  void Log(std::int64_t id, const LogBatch& batch) override;
  RunInfo End(std::int64_t id, RunStatus status, std::optional<std::int64_t> end_time) override;
  MetricPage History(std::int64_t id, const std::string& key, int limit,
                     const std::string& cursor) override;
  RunPage Search(const RunSearch& search) override;
  TrackingExperiment GetExperiment(std::int64_t id) override;
  std::optional<TrackingExperiment> FindExperiment(const std::string& name) override;
  std::vector<ExperimentRuns> ListExperiments(int limit) override;
  TrackingExperiment SetExperimentTags(std::int64_t id, const KeyValues& tags) override;
  ArtifactInfo PutArtifact(std::int64_t id, const std::string& path,
                           const std::string& bytes) override;
  std::string GetArtifact(std::int64_t id, const std::string& path) override;
  std::vector<ArtifactInfo> ListArtifacts(std::int64_t id) override;

 private:
  void RequireRun(std::int64_t id);
  storage::RunRepository& runs_;
  ArtifactStore& artifacts_;
};

}  // namespace krige::service
