// The one JSON codec per type, shared by server, worker, SDK and tests. nlohmann::json is the
// JSON value type of krige's contracts (docs/architecture.md), hence allowed in this header.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "krige/params.hpp"
#include "krige/space.hpp"
#include "krige/spec.hpp"
#include "krige/trial.hpp"

namespace krige {

using Json = nlohmann::json;

Json ToJson(const ParamValue& value);
ParamValue ParamValueFromJson(const Json& j);  // throws Error(kInvalidArgument)
Json ToJson(const Params& params);
Params ParamsFromJson(const Json& j);

Json ToJson(const ParamSpec& spec);
Json ToJson(const SearchSpace& space);
Json ToJson(const TrainingSpec& training);
Json ToJson(const ExperimentSpec& spec);

// Decodes and validates; throws ValidationError listing every problem (type errors and
// Validate()'s findings) with its field path.
ExperimentSpec SpecFromJson(const Json& j);
TrainingSpec TrainingFromJson(const Json& j);  // throws ValidationError

Json ToJson(const StepScores& s);
StepScores StepScoresFromJson(const Json& j);
Json ToJson(const Trial& trial);
Trial TrialFromJson(const Json& j);
Json ToJson(const TrialCounts& counts);
Json ToJson(const Experiment& experiment);
Experiment ExperimentFromJson(const Json& j);

// Parses JSON text; throws Error(kInvalidArgument) naming line and column on malformed input.
Json ParseJson(const std::string& text);

// YAML (a spec file) to the equivalent JSON document; scalars become numbers, booleans or
// strings as YAML 1.2 core schema would type them. Throws Error(kInvalidArgument) with the line.
Json YamlToJson(const std::string& yaml_text);
ExperimentSpec LoadSpecFile(const std::string& path);  // YAML or JSON by content

}  // namespace krige
