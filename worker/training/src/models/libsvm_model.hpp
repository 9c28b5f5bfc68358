// Support vector machines over libsvm; its C names stay inside libsvm_model.cpp.
#pragma once

#include <memory>

#include "models/model.hpp"

namespace krige::training {

class HyperParameters;

// scikit-learn SVC: C > 0 (1.0), kernel rbf|linear|poly|sigmoid (rbf), gamma scale|auto|>= 0
// (scale), degree >= 0 (3), coef0 (0.0), tol > 0 (1e-3), shrinking (true), probability (false;
// true adds Platt-scaled probabilities for log_loss), class_weight none|balanced (none).
std::unique_ptr<Model> MakeSvc(HyperParameters& hp);

// scikit-learn SVR: the same kernel parameters, C, tol, shrinking, and epsilon >= 0 (0.1).
std::unique_ptr<Model> MakeSvr(HyperParameters& hp);

// How a fit evaluates its kernel. kPrecomputed hands libsvm the whole kernel matrix, made from
// the pairwise tables in SvmPairwiseCache() (computed once per distinct training matrix, so a
// grid over C and gamma on fixed folds pays for them once per fold); predictions, decision
// values and probabilities equal kNative's bit for bit, except probabilities of an rbf kernel
// (libsvm's internal cross-validation then rounds its kernel differently, in the last bits).
// kAuto (what MakeSvc/MakeSvr use) takes kPrecomputed where PrecomputedKernelPays, and kNative
// elsewhere and for rbf with probability=true: its results are always kNative's.
enum class SvmKernelPath { kAuto, kNative, kPrecomputed };
// Computing the whole kernel matrix up front beats libsvm's own kernel when its rows are wide
// (a native kernel value costs a pass over the features) and the matrix small: measured on
// synthetic two-class data (12 fits, C 0.1..100 x gamma 0.001..0.1, sharing one Gram
// table), precomputed was 2.5x faster at
// 60 features and 1000 rows, even at 20 features and 2000 rows, 20% slower at 4 features and
// 1000 rows. Capped at 2000 rows, where the matrix holds 16 * rows * (rows + 2) bytes (64 MB)
// during a fit.
constexpr long kMaxPrecomputedRows = 2000;
constexpr bool PrecomputedKernelPays(long rows, long features) {
  return rows <= kMaxPrecomputedRows && rows <= 400 + 100 * features;
}
std::unique_ptr<Model> MakeSvc(HyperParameters& hp, SvmKernelPath path);
std::unique_ptr<Model> MakeSvr(HyperParameters& hp, SvmKernelPath path);

// The process-wide cache behind kPrecomputed (thread-safe, at most 256 MB).
class PairwiseCache;
PairwiseCache& SvmPairwiseCache();

}  // namespace krige::training
