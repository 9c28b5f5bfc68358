#pragma once

#include <pqxx/pqxx>

namespace krige::storage::pg {

// The column list every trial-returning statement selects, in the order RowToTrial reads.
extern const char* const kTrialColumns;

// The statements of the token store (tokens.cpp); PrepareStatements calls it.
void PrepareTokenStatements(pqxx::connection& conn);

// The statements of the run store (runs.cpp); PrepareStatements calls it.
void PrepareRunStatements(pqxx::connection& conn);

}  // namespace krige::storage::pg
