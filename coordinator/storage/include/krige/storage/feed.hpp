// The PostgreSQL implementation of service::TrialFeed (coordinator/storage/pg/feed.cpp), and a
// bulk loader of finished trials for benchmarks and imports.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "krige/service/trial_feed.hpp"
#include "krige/storage/pg.hpp"

namespace krige::storage::pg {

std::unique_ptr<service::TrialFeed> MakeTrialFeed(std::shared_ptr<Database> db);

// One finished trial to load.
struct LoadedTrial {
  Params params;
  TrialState state = TrialState::kCompleted;
  std::optional<double> value;
  std::vector<StepScores> steps;
};

// Appends the trials to the experiment (numbers continue after its last one) in one
// transaction with COPY, counting them against its budget; the experiment's best trial is
// updated. Returns how many were loaded.
std::size_t BulkLoadTrials(Database& db, std::int64_t experiment_id,
                           const std::vector<LoadedTrial>& trials);

}  // namespace krige::storage::pg
