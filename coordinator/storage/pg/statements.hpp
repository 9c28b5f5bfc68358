#pragma once

namespace krige::storage::pg {

// The column list every trial-returning statement selects, in the order RowToTrial reads.
extern const char* const kTrialColumns;

}  // namespace krige::storage::pg
