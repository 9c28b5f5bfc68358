// WorkerService over the store: the workers table is the coordinator's record of who is
// connected (the scheduler writes it at HELLO, every few seconds for the living, and at a loss).
#pragma once

#include "krige/service/worker_service.hpp"
#include "krige/storage/repositories.hpp"

namespace krige::service {

class StoredWorkerService : public WorkerService {
 public:
  explicit StoredWorkerService(storage::WorkerRepository& workers) : workers_(workers) {}
  WorkerPage List(const WorkerQuery& query) override { return workers_.List(query); }

 private:
  storage::WorkerRepository& workers_;
};

}  // namespace krige::service
