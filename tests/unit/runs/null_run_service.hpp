// A RunService that answers nothing (every call throws kNotFound): enough to register the
// tracking routes in tests of the route table.
#pragma once

#include "krige/error.hpp"
#include "krige/service/run_service.hpp"

namespace krige::testing {

class NullRunService : public service::RunService {
 public:
  service::CreatedRun CreateRun(const service::CreateRunRequest&) override { Fail(); }
  RunInfo GetRun(std::int64_t) override { Fail(); }
  RunInfo GetTrialRun(std::int64_t) override { Fail(); }
  void Log(std::int64_t, const service::LogBatch&) override { Fail(); }
  RunInfo End(std::int64_t, RunStatus, std::optional<std::int64_t>) override { Fail(); }
  service::MetricPage History(std::int64_t, const std::string&, int, const std::string&) override {
    Fail();
  }
  service::RunPage Search(const service::RunSearch&) override { Fail(); }
  TrackingExperiment GetExperiment(std::int64_t) override { Fail(); }
  std::optional<TrackingExperiment> FindExperiment(const std::string&) override { Fail(); }
  std::vector<service::ExperimentRuns> ListExperiments(int) override { Fail(); }
  TrackingExperiment SetExperimentTags(std::int64_t, const service::KeyValues&) override { Fail(); }
  service::ArtifactInfo PutArtifact(std::int64_t, const std::string&, const std::string&) override {
    Fail();
  }
  std::string GetArtifact(std::int64_t, const std::string&) override { Fail(); }
  std::vector<service::ArtifactInfo> ListArtifacts(std::int64_t) override { Fail(); }

 private:
  [[noreturn]] static void Fail() { throw Error(ErrorCode::kNotFound, "no runs here"); }
};

}  // namespace krige::testing
