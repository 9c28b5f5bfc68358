// What the dashboard's plots and the live stream read: trials as compact rows in change order
// (the `seq` every insert or update of a trial gets, migrations/0007), and per-step scores.
// The web layer depends on this interface only; coordinator/storage/pg/feed.cpp implements it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "krige/trial.hpp"

namespace krige::service {

// One trial as the plots need it (no metrics, no steps).
struct TrialRow {
  std::int64_t id = 0;
  int number = 0;
  TrialState state = TrialState::kQueued;
  std::optional<double> value;
  std::string params_json;  // the params object as stored (JSON text)
  int attempt = 1;
  std::string worker;
  std::string error;
  std::string started_at;  // ISO 8601, UTC; "" when not yet
  std::string finished_at;
  std::int64_t seq = 0;  // the trial's last change
};

struct TrialChanges {
  std::vector<TrialRow> rows;  // seq ascending, each seq > the `after` asked for
  bool more = false;           // the limit cut the answer: ask again after rows.back().seq
};

// One trial's per-step scores.
struct TrialSteps {
  std::int64_t trial_id = 0;
  int number = 0;
  TrialState state = TrialState::kQueued;
  std::vector<StepScores> steps;  // by step
};

// Thread-safe. Throws krige::Error: kNotFound for an unknown experiment, kUnavailable when the
// database is unreachable.
class TrialFeed {
 public:
  virtual ~TrialFeed() = default;
  // The experiment's trials whose last change is after `after_seq`, oldest change first, at
  // most `limit` of them. A reader that saw seq S has seen every change up to S.
  virtual TrialChanges Changes(std::int64_t experiment_id, std::int64_t after_seq, int limit) = 0;
  // The experiment's latest change (0 when none yet).
  virtual std::int64_t LastSeq(std::int64_t experiment_id) = 0;
  // The per-step scores of the `limit` highest-numbered trials that have any.
  virtual std::vector<TrialSteps> Steps(std::int64_t experiment_id, int limit) = 0;
};

}  // namespace krige::service
