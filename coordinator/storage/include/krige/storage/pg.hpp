// PostgreSQL implementation of the repositories (libpqxx). The composition root opens the
// database, applies the migrations and hands the repositories to the services.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "krige/storage/repositories.hpp"
#include "krige/storage/runs.hpp"
#include "krige/storage/tokens.hpp"

namespace krige::storage::pg {

// A pool of connections with every statement prepared; thread-safe, shared by repositories.
class Database;

// Connects once to check the URL; throws Error(kUnavailable) with libpq's reason.
std::shared_ptr<Database> OpenDatabase(const std::string& url, int pool_size = 8);

// Applies migrations/ not yet applied, each in its own transaction, under an advisory lock
// (several servers may start at once). Returns the names applied now.
std::vector<std::string> ApplyMigrations(Database& db);

std::unique_ptr<ExperimentRepository> MakeExperimentRepository(std::shared_ptr<Database> db);
std::unique_ptr<TrialRepository> MakeTrialRepository(std::shared_ptr<Database> db);
std::unique_ptr<WorkerRepository> MakeWorkerRepository(std::shared_ptr<Database> db);
std::unique_ptr<DatasetRepository> MakeDatasetRepository(std::shared_ptr<Database> db);
std::unique_ptr<TokenRepository> MakeTokenRepository(std::shared_ptr<Database> db);
std::unique_ptr<RunRepository> MakeRunRepository(std::shared_ptr<Database> db);

// Stores `trials` of experiment `experiment_id` as they are (numbers, states, params, values,
// metrics; not their steps), thousands of rows per statement, in one transaction, and keeps
// the experiment's next number and best trial. For imports and benchmarks: the scheduler
// does not know of trials imported into a running experiment until it restarts.
void ImportTrials(Database& db, std::int64_t experiment_id, const std::vector<Trial>& trials);

// Trials by state over every experiment, from the counts the experiments keep (one row per
// experiment is read, not the trials).
TrialCounts CountTrials(Database& db);

}  // namespace krige::storage::pg
