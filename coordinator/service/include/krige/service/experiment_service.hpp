// What the REST API asks of the coordinator. The web layer depends on this interface only
// (never on pqxx or zmq); the coordinator's composition root supplies the implementation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "krige/spec.hpp"
#include "krige/trial.hpp"

namespace krige::service {

struct ExperimentQuery {
  std::optional<ExperimentState> state;
  int limit = 50;      // 1..500
  std::string cursor;  // opaque, from ExperimentPage::next_cursor
};

struct ExperimentPage {
  std::vector<Experiment> experiments;  // newest first
  std::string next_cursor;              // empty on the last page
};

enum class TrialSort { kNumber, kValue };  // kValue: best first for the experiment's goal

struct TrialQuery {
  std::optional<TrialState> state;
  TrialSort sort = TrialSort::kNumber;
  bool descending = false;  // for kNumber only: newest first
  int limit = 100;          // 1..1000
  std::string cursor;       // opaque, from TrialPage::next_cursor
};

// A user's request to change an experiment's course (REST: POST .../{id}/stop|pause|resume).
enum class ExperimentAction { kStop, kPause, kResume };

struct TrialPage {
  std::vector<Trial> trials;
  std::string next_cursor;  // empty on the last page
};

// Thread-safe: called concurrently from the HTTP handler threads. Errors are krige::Error
// (kNotFound for an unknown id, kInvalidArgument for a bad query or cursor, ValidationError
// for a bad spec, kUnavailable when the database is unreachable).
class ExperimentService {
 public:
  virtual ~ExperimentService() = default;
  // Validates (again) and stores the spec; the experiment starts in state running.
  virtual Experiment Create(const ExperimentSpec& spec) = 0;
  virtual ExperimentPage List(const ExperimentQuery& query) = 0;
  virtual Experiment Get(std::int64_t id) = 0;
  virtual TrialPage Trials(std::int64_t experiment_id, const TrialQuery& query) = 0;
  // A text that changes whenever one of the experiment's trials is added, changed or removed,
  // and only then, so that a page of Trials can be kept until it does; a Trials call made
  // after reading it shows at least what it names. kNotFound for an unknown experiment;
  // nullopt when the service cannot tell (then nothing is kept).
  virtual std::optional<std::string> TrialsVersion(std::int64_t /*experiment_id*/) {
    return std::nullopt;
  }
  virtual std::optional<Trial> Best(std::int64_t experiment_id) = 0;
  virtual Trial GetTrial(std::int64_t trial_id) = 0;
  // Stop (running|paused -> stopped; running trials are told to stop and end failed,
  // "experiment stopped"; queued ones are not run), pause (running -> paused: no new trials,
  // running ones finish), resume (paused|stopped -> running: the search continues). Returns the
  // experiment after the change. Repeating one already made is not an error; kFailedPrecondition
  // for a transition its state does not allow, kNotFound for an unknown id.
  virtual Experiment Control(std::int64_t id, ExperimentAction action) = 0;
  // Stops the experiment if it is active, then removes it and its trials; kNotFound if none.
  virtual void Delete(std::int64_t id) = 0;
  // True when the store answers.
  virtual bool Healthy() = 0;
};

}  // namespace krige::service
