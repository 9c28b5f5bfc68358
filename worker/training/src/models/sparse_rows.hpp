// Dense rows in the sparse node format liblinear and libsvm share: (index from 1, value) pairs,
// zeros skipped, an optional bias node, then the index -1 terminator.
#pragma once

#include <Eigen/Dense>
#include <vector>

namespace krige::training {

template <typename Node>
class SparseRows {
 public:
  // `bias` >= 0 appends (cols + 1, bias) to every row (liblinear's intercept feature).
  // `order`, when given, lists the rows of `x` to take, in that order.
  SparseRows(const Eigen::MatrixXd& x, double bias, const std::vector<int>* order = nullptr) {
    const auto n = x.cols();
    const auto rows = order ? static_cast<Eigen::Index>(order->size()) : x.rows();
    std::vector<std::size_t> starts;
    starts.reserve(rows);
    for (Eigen::Index r = 0; r < rows; ++r) {
      const Eigen::Index i = order ? (*order)[r] : r;
      starts.push_back(nodes_.size());
      for (Eigen::Index j = 0; j < n; ++j)
        if (x(i, j) != 0) nodes_.push_back({static_cast<int>(j + 1), x(i, j)});
      if (bias >= 0) nodes_.push_back({static_cast<int>(n + 1), bias});
      nodes_.push_back({-1, 0.0});
    }
    rows_.reserve(starts.size());
    for (auto s : starts) rows_.push_back(&nodes_[s]);
  }
  // Movable: moving a std::vector keeps its buffer, so the row pointers stay valid.
  SparseRows(SparseRows&&) = default;
  SparseRows& operator=(SparseRows&&) = default;

  Node** rows() { return rows_.data(); }
  const Node* row(Eigen::Index i) const { return rows_[i]; }

 private:
  std::vector<Node> nodes_;
  std::vector<Node*> rows_;
};

}  // namespace krige::training
