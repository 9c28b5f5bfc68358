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
// kAuto (what MakeSvc/MakeSvr use) takes kPrecomputed up to kMaxPrecomputedRows training rows,
// whose kernel matrix then needs at most 16 * rows * (rows + 2) bytes (64 MB) during the fit,
// and kNative beyond that and for rbf with probability=true: its results are always kNative's.
enum class SvmKernelPath { kAuto, kNative, kPrecomputed };
constexpr long kMaxPrecomputedRows = 2000;
std::unique_ptr<Model> MakeSvc(HyperParameters& hp, SvmKernelPath path);
std::unique_ptr<Model> MakeSvr(HyperParameters& hp, SvmKernelPath path);

// The process-wide cache behind kPrecomputed (thread-safe, at most 256 MB).
class PairwiseCache;
PairwiseCache& SvmPairwiseCache();

}  // namespace krige::training
