// The bound of every input a spec can carry (docs/api.md, "Limits"). Validate() and the JSON
// decoder enforce them; a spec beyond one is a 400 naming the field. Bounds keep the cost of
// decoding, validating and storing a spec small and linear, and keep every number within what
// the tuners and workers can represent exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace krige::limits {

inline constexpr std::size_t kFunctionNameBytes = 128;  // training.function (kind function)
inline constexpr std::size_t kNameBytes = 256;  // experiment, parameter, metric, column names; keys
inline constexpr std::size_t kStringBytes =
    4096;                                        // string values, dataset paths, command arguments
inline constexpr std::size_t kParameters = 100;  // per search space
inline constexpr std::size_t kCategoricalValues = 1000;  // per categorical parameter
inline constexpr std::size_t kGridValues = 1000;       // explicit `values` of a float/int parameter
inline constexpr int kGridPoints = 1000;               // `grid_points` of a parameter
inline constexpr std::size_t kMetrics = 64;            // training.metrics
inline constexpr std::size_t kColumns = 4096;          // training.features / training.categorical
inline constexpr std::size_t kPreprocessing = 8;       // training.preprocessing steps
inline constexpr std::size_t kCommandArguments = 256;  // training.command
inline constexpr std::size_t kFixedParams = 100;       // training.params
inline constexpr std::size_t kTunerOptions = 32;       // tuner.options
inline constexpr double kTunerOptionMagnitude = 1e6;   // |tuner option| unless the tuner says
inline constexpr int kMaxTrials = 1000000;
inline constexpr int kMaxParallelism = 4096;
inline constexpr int kMaxAttempts = 100;
inline constexpr int kMinFolds = 2;
inline constexpr int kMaxFolds = 100;
inline constexpr int kMaxRepeats = 100;
inline constexpr double kMaxTimeoutSeconds = 7 * 24 * 3600.0;  // 7 days; 0 means no limit
// Int parameters' bounds and steps: integers a double holds exactly (2^53).
inline constexpr double kIntMagnitude = 9007199254740992.0;
// Nesting of a spec document (a spec needs 6 levels; JSON of any depth parses).
inline constexpr int kJsonDepth = 32;

}  // namespace krige::limits

namespace krige {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Why `text` cannot be stored as text (PostgreSQL rejects NUL and invalid UTF-8 in text and
// jsonb), or that it is longer than `max_bytes`; empty when it is fine.
std::string TextProblem(std::string_view text, std::size_t max_bytes);

// `text` cut to at most `max_bytes` without splitting a UTF-8 sequence; invalid sequences and
// NUL become U+FFFD. For informational strings that must be kept rather than rejected.
std::string SanitizeText(std::string_view text, std::size_t max_bytes);

}  // namespace krige

// Experiment tracking (issue 11; docs/api.md, "Limits").
namespace krige::limits {

inline constexpr std::size_t kRunKeyBytes = 250;          // metric, param and tag keys
inline constexpr std::size_t kRunParamValueBytes = 6000;  // a param's value
inline constexpr std::size_t kRunTagValueBytes = 8000;    // a tag's value
inline constexpr std::size_t kRunNameBytes = 256;         // run and tracking experiment names
inline constexpr std::size_t kLogBatchMetrics = 10000;    // metric points per POST .../log
inline constexpr std::size_t kLogBatchParams = 100;       // params per POST .../log (or create)
inline constexpr std::size_t kLogBatchTags = 100;         // tags per POST .../log (or create)
inline constexpr std::size_t kRunParams = 1000;           // params of one run, all batches
inline constexpr std::size_t kRunTags = 1000;             // tags of one run, all batches
inline constexpr std::int64_t kMetricStepMax = 9007199254740992;  // 2^53: exact in JSON
inline constexpr std::size_t kRunFilterBytes = 4096;              // a search filter's text
inline constexpr std::size_t kRunFilterTerms = 64;                // comparisons in one filter
inline constexpr std::size_t kRunOrderBy = 8;                     // order_by clauses
inline constexpr std::size_t kRunSearchExperiments = 100;         // experiment_ids of one search
inline constexpr int kRunSearchPage = 1000;                       // runs per search page
inline constexpr int kMetricHistoryPage = 10000;                  // points per history page
inline constexpr std::size_t kArtifactBytes = std::size_t{256} << 20;  // one artifact: 256 MiB
inline constexpr std::size_t kArtifactPathBytes = 1024;  // an artifact's path in its run
inline constexpr std::size_t kArtifactPathDepth = 32;    // its components
inline constexpr std::size_t kArtifactList = 10000;      // entries a listing returns

}  // namespace krige::limits
