#include "folds.hpp"

#include <algorithm>
#include <map>
#include <string>

#include "krige/error.hpp"
#include "random.hpp"

namespace krige::training {
namespace {

void Shuffle(std::vector<int>& v, Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.Below(i)]);
}

}  // namespace

std::vector<Fold> MakeFolds(int n, int k, int repeats, std::uint64_t seed,
                            const std::vector<int>* labels) {
  if (k < 2)
    throw Error(ErrorCode::kInvalidArgument, "folds must be >= 2, got " + std::to_string(k),
                "training.folds");
  if (k > n)
    throw Error(
        ErrorCode::kInvalidArgument,
        "folds (" + std::to_string(k) + ") exceeds the number of rows (" + std::to_string(n) + ")",
        "training.folds");
  if (repeats < 1)
    throw Error(ErrorCode::kInvalidArgument, "repeats must be >= 1", "training.repeats");

  std::vector<Fold> folds;
  for (int r = 0; r < repeats; ++r) {
    Rng rng(seed * 0x100000001B3ULL + static_cast<std::uint64_t>(r) + 1);
    std::vector<int> order;  // rows in the order they are dealt to folds
    if (labels) {
      // Each class shuffled on its own, classes one after another, then dealt round-robin:
      // every fold gets floor or ceil of its share of every class.
      std::map<int, std::vector<int>> by_class;
      for (int i = 0; i < n; ++i) by_class[(*labels)[i]].push_back(i);
      for (auto& [label, rows] : by_class) {
        Shuffle(rows, rng);
        order.insert(order.end(), rows.begin(), rows.end());
      }
    } else {
      order.resize(n);
      for (int i = 0; i < n; ++i) order[i] = i;
      Shuffle(order, rng);
    }
    std::vector<int> fold_of(n);
    if (labels) {
      for (int i = 0; i < n; ++i) fold_of[order[i]] = i % k;
    } else {
      // Contiguous blocks of the shuffled order, the first n%k one larger (as KFold).
      int pos = 0;
      for (int f = 0; f < k; ++f) {
        const int size = n / k + (f < n % k ? 1 : 0);
        for (int j = 0; j < size; ++j) fold_of[order[pos++]] = f;
      }
    }
    for (int f = 0; f < k; ++f) {
      Fold fold;
      for (int i = 0; i < n; ++i) (fold_of[i] == f ? fold.test : fold.train).push_back(i);
      folds.push_back(std::move(fold));
    }
  }
  return folds;
}

std::vector<Fold> FoldsFromIds(const std::vector<int>& fold_of, int k) {
  std::vector<Fold> folds(static_cast<std::size_t>(k));
  for (std::size_t i = 0; i < fold_of.size(); ++i)
    for (int f = 0; f < k; ++f)
      (fold_of[i] == f ? folds[f].test : folds[f].train).push_back(static_cast<int>(i));
  for (int f = 0; f < k; ++f)
    if (folds[f].test.empty() || folds[f].train.empty())
      throw Error(ErrorCode::kInvalidArgument,
                  "fold " + std::to_string(f) + " of the fold column " +
                      (folds[f].test.empty() ? "has no rows" : "holds every row"),
                  "training.fold_column");
  return folds;
}

}  // namespace krige::training
