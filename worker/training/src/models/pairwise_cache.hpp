// Pairwise row tables (dot products, squared distances) for libsvm's precomputed kernels,
// computed once per distinct pair of matrices and shared by every fit on them: the trials of a
// grid over C and gamma see the same standardized folds, and none of these tables depends on C,
// gamma, coef0 or degree.
#pragma once

#include <Eigen/Dense>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

namespace krige::training {

// dot: a_i . b_j; squared distance: sum_k (a_ik - b_jk)^2. Both are summed over the columns in
// order, one product at a time, exactly as libsvm's Kernel::dot and k_function do, so kernels
// computed from them equal libsvm's own bit for bit (a blocked BLAS product would reorder the
// sums and change the last bits, and with them, rarely, a support vector).
enum class PairKind { kDot, kSquaredDistance };

// A thread-safe cache of a.rows() x b.rows() tables keyed by the kind and the exact contents
// (bytes) of `a` and `b`, so any caller with equal matrices shares a table, and different data,
// folds or preprocessing can never collide. Least recently used tables are dropped to keep the
// total (tables plus the copies of their keys) at most `max_bytes`; a table larger than that on
// its own is computed and returned without being kept. Returned tables are immutable and stay
// valid while held, also after eviction.
class PairwiseCache {
 public:
  explicit PairwiseCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  PairwiseCache(const PairwiseCache&) = delete;
  PairwiseCache& operator=(const PairwiseCache&) = delete;

  // a and b must have the same number of columns.
  std::shared_ptr<const Eigen::MatrixXd> Get(PairKind kind, const Eigen::MatrixXd& a,
                                             const Eigen::MatrixXd& b) {
    const std::uint64_t hash_a = Hash(a);
    const Key key{kind, hash_a, &a == &b ? hash_a : Hash(b), a.rows(), b.rows(), a.cols()};
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto hit = FindLocked(key, a, b)) {
        ++hits_;
        return hit;
      }
      ++misses_;
    }
    // Compute outside the lock: two threads may compute the same table once each (the second
    // keeps the first's), but one large table never blocks the others.
    auto entry = std::make_shared<Entry>();
    entry->table = std::make_shared<const Eigen::MatrixXd>(Compute(kind, a, b));
    const std::size_t bytes = Bytes(*entry->table) + Bytes(a) + Bytes(b);
    if (bytes > max_bytes_) return entry->table;
    entry->a = a;
    entry->b = b;
    entry->bytes = bytes;
    std::lock_guard<std::mutex> lock(mu_);
    if (auto hit = FindLocked(key, a, b)) return hit;
    if (map_.count(key)) return entry->table;  // a hash collision: keep the resident one
    lru_.push_front(key);
    entry->lru = lru_.begin();
    map_.emplace(key, entry);
    bytes_ += bytes;
    while (bytes_ > max_bytes_) {
      auto victim = map_.find(lru_.back());
      bytes_ -= victim->second->bytes;
      map_.erase(victim);
      lru_.pop_back();
    }
    return entry->table;
  }

  std::size_t bytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bytes_;
  }
  std::size_t entries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.size();
  }
  std::size_t hits() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_;
  }
  std::size_t misses() const {
    std::lock_guard<std::mutex> lock(mu_);
    return misses_;
  }

  // The table itself, uncached.
  static Eigen::MatrixXd Compute(PairKind kind, const Eigen::MatrixXd& a,
                                 const Eigen::MatrixXd& b) {
    // Rows as contiguous columns, for the inner loops.
    const Eigen::MatrixXd at = a.transpose();
    const Eigen::MatrixXd bt = b.transpose();
    const Eigen::Index m = a.rows(), n = b.rows(), p = a.cols();
    const bool symmetric = SameBytes(a, b);
    Eigen::MatrixXd out(m, n);
    for (Eigen::Index j = 0; j < n; ++j) {
      const double* y = bt.col(j).data();
      for (Eigen::Index i = symmetric ? j : 0; i < m; ++i) {
        const double* x = at.col(i).data();
        double sum = 0;
        if (kind == PairKind::kDot) {
          for (Eigen::Index k = 0; k < p; ++k) sum += x[k] * y[k];
        } else {
          for (Eigen::Index k = 0; k < p; ++k) {
            const double d = x[k] - y[k];
            sum += d * d;
          }
        }
        out(i, j) = sum;
        if (symmetric) out(j, i) = sum;
      }
    }
    return out;
  }

 private:
  using Key =
      std::tuple<PairKind, std::uint64_t, std::uint64_t, Eigen::Index, Eigen::Index, Eigen::Index>;
  struct Entry {
    std::shared_ptr<const Eigen::MatrixXd> table;
    Eigen::MatrixXd a, b;  // the key's contents, compared on every hit
    std::size_t bytes = 0;
    std::list<Key>::iterator lru;
  };

  static std::size_t Bytes(const Eigen::MatrixXd& m) {
    return static_cast<std::size_t>(m.size()) * sizeof(double);
  }
  static bool SameBytes(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           (a.data() == b.data() || std::memcmp(a.data(), b.data(), Bytes(a)) == 0);
  }
  static std::uint64_t Hash(const Eigen::MatrixXd& m) {
    std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ static_cast<std::uint64_t>(m.size());
    for (Eigen::Index i = 0; i < m.size(); ++i) {
      std::uint64_t bits;
      std::memcpy(&bits, m.data() + i, sizeof bits);
      h = (h ^ bits) * 0x100000001b3ULL;
      h ^= h >> 29;
    }
    return h;
  }

  std::shared_ptr<const Eigen::MatrixXd> FindLocked(const Key& key, const Eigen::MatrixXd& a,
                                                    const Eigen::MatrixXd& b) {
    auto it = map_.find(key);
    if (it == map_.end() || !SameBytes(it->second->a, a) || !SameBytes(it->second->b, b))
      return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second->lru);
    return it->second->table;
  }

  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::map<Key, std::shared_ptr<Entry>> map_;
  std::list<Key> lru_;  // most recently used first
  std::size_t bytes_ = 0;
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
};

}  // namespace krige::training
