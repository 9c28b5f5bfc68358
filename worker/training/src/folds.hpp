// Cross-validation splits.
#pragma once

#include <cstdint>
#include <vector>

namespace krige::training {

struct Fold {
  std::vector<int> train;  // row indices, ascending
  std::vector<int> test;   // row indices, ascending
};

// `k` folds per repeat, `repeats` times, in the order repeat 0 fold 0..k-1, repeat 1, ...
// Rows are always shuffled with a generator seeded from (seed, repeat), so the result is a pure
// function of its arguments. With `labels` (class indices) the split is stratified: every fold
// gets each class's rows in proportion (within one row). Without, plain k-fold: test folds of
// sizes n/k (the first n%k one row larger). Throws Error(kInvalidArgument) for k < 2, k > n or
// repeats < 1.
std::vector<Fold> MakeFolds(int n, int k, int repeats, std::uint64_t seed,
                            const std::vector<int>* labels);

// User-given folds: `fold_of[i]` is row i's fold in 0..k-1; fold f tests the rows of fold f.
// Throws Error(kInvalidArgument, field "training.fold_column") when a fold is empty or holds
// every row.
std::vector<Fold> FoldsFromIds(const std::vector<int>& fold_of, int k);

}  // namespace krige::training
