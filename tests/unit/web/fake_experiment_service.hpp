// An in-memory ExperimentService for the web tests: ids from 1, experiments listed newest
// first, cursors are the last id (experiments) or "n:<offset>" (trials) of the page.
// Thread-safe.
#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include "krige/service/experiment_service.hpp"

namespace krige::testing {

class FakeExperimentService : public service::ExperimentService {
 public:
  Experiment Create(const ExperimentSpec& spec) override;
  service::ExperimentPage List(const service::ExperimentQuery& query) override;
  Experiment Get(std::int64_t id) override;
  service::TrialPage Trials(std::int64_t experiment_id, const service::TrialQuery& query) override;
  // The number of trials added to the experiment so far.
  std::optional<std::string> TrialsVersion(std::int64_t experiment_id) override;
  std::optional<Trial> Best(std::int64_t experiment_id) override;
  Trial GetTrial(std::int64_t trial_id) override;
  // Applies the transitions of the real service to the state alone (no trials change).
  Experiment Control(std::int64_t id, service::ExperimentAction action) override;
  // Deleted experiments answer kNotFound afterwards.
  void Delete(std::int64_t id) override;
  bool Healthy() override { return healthy_; }

  // Test controls.
  void SetHealthy(bool healthy) { healthy_ = healthy; }
  // Appends a trial (next number) to an experiment and updates its counts; returns it.
  Trial AddTrial(std::int64_t experiment_id, TrialState state, std::optional<double> value,
                 Params params = {});
  // The last query each list call received (to check decoding).
  service::ExperimentQuery last_experiment_query() const;
  service::TrialQuery last_trial_query() const;
  // How many times Trials was called.
  int trial_lists() const { return trial_lists_; }

 private:
  Experiment& Find(std::int64_t id);  // mutex held
  std::optional<Trial> BestOf(const Experiment& e) const;

  mutable std::mutex mutex_;
  std::vector<Experiment> experiments_;  // by id - 1
  std::vector<Trial> trials_;            // by id - 1
  service::ExperimentQuery last_experiment_query_;
  service::TrialQuery last_trial_query_;
  std::atomic<bool> healthy_{true};
  std::atomic<int> trial_lists_{0};
};

}  // namespace krige::testing
