// The handlers over service::TrialFeed: columns.cpp (columns, CSV, steps) and events.cpp (the
// live stream). Registered by RegisterFeedApi (api.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "krige/codec.hpp"
#include "krige/http/router.hpp"
#include "krige/service/experiment_service.hpp"
#include "krige/service/trial_feed.hpp"

namespace krige::web {

// At most this many trials per GET .../trials/columns answer (`limit`); the rest with `after`.
inline constexpr int kColumnsLimit = 100000;
// At most this many trials' per-step scores per GET .../trials/steps.
inline constexpr int kStepsTrialsLimit = 1000;

// A change sequence number as text: decimal digits, at most 18; else a 400 naming `field`.
std::int64_t ParseSeq(const std::string& text, const std::string& field);
// The query parameter `name` as a change sequence number, 0 when absent.
std::int64_t QuerySeq(const http::Request& request, const std::string& name);
// One trial as the live stream sends it.
Json TrialRowJson(const service::TrialRow& t);

http::Handler TrialColumns(service::TrialFeed& feed);
http::Handler TrialsCsv(service::TrialFeed& feed);
http::Handler TrialSteps(service::TrialFeed& feed);
// openapi.cpp: docs/openapi.yaml, embedded.
std::string_view OpenApiDocument();
http::Handler GetOpenApi();
// importance.cpp
http::Handler GetImportance(service::ExperimentService& experiments, service::TrialFeed& feed);

}  // namespace krige::web
