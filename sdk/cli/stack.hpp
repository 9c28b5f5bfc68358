// The local stack behind `krige up`: a private PostgreSQL cluster (DATA/pg, kept between runs),
// one krige-server and N krige-worker processes, detached from the terminal, recorded in
// DATA/stack.json.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "format.hpp"

namespace krige::cli {

// The directory this `krige` executable lives in (krige-server, krige-worker and
// krige-pg-cluster are expected next to it).
std::string ExecutableDir();

class LocalStack {
 public:
  // `data_dir` holds pg/, stack.json and the logs; `bin_dir` the programs.
  LocalStack(std::string data_dir, std::string bin_dir);

  // The stack recorded in stack.json when its server answers /healthz.
  std::optional<StackInfo> Running() const;

  // Returns the running stack, or starts one (cleaning up a stale one first): the cluster, the
  // server (waiting up to 30 s for its listening line) and `workers` workers. Messages go to
  // `log`. Throws krige::Error with the log tail when a part does not come up.
  StackInfo Up(int workers, std::ostream& log);

  // SIGTERM to the recorded processes (SIGKILL after 5 s), stops the cluster, removes
  // stack.json. Safe when nothing runs.
  void Down(std::ostream& log);

  const std::string& data_dir() const { return data_dir_; }

 private:
  std::string Path(const std::string& name) const;
  std::string Program(const std::string& name) const;
  std::optional<StackInfo> ReadState() const;
  void StopProcesses(const StackInfo& info, std::ostream& log) const;

  std::string data_dir_;
  std::string bin_dir_;
};

}  // namespace krige::cli
