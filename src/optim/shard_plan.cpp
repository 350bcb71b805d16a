#include "optim/shard_plan.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>

#include "core/error.hpp"

namespace lip {

namespace {

// Slab offset where tensor i starts (the slab size for i = number of tensors).
size_t offset_of(const std::vector<ParamInfo>& infos, size_t i, size_t slab_size) {
  return i < infos.size() ? infos[i].offset : slab_size;
}

}  // namespace

double optimizer_cost(const ParamInfo& info) {
  const double count = double(info.rows) * double(info.cols);
  return info.kind == ParamKind::matrix ? count * double(std::min(info.rows, info.cols)) : count;
}

ShardPlan ShardPlan::replicated(const ParamStore& params) {
  ShardPlan p;
  p.first_tensor = {0, params.num_tensors()};
  p.slab_begin = {0, params.slab_size()};
  double total = 0;
  for (const auto& info : params.infos()) total += optimizer_cost(info);
  p.cost = {total};
  return p;
}

ShardPlan ShardPlan::balanced(const std::vector<ParamInfo>& infos, size_t slab_size, int ranks, int rank) {
  LIP_REQUIRE(ranks >= 1 && rank >= 0 && rank < ranks, "ShardPlan: rank " << rank << " of " << ranks);
  LIP_REQUIRE(slab_size < size_t(INT_MAX), "ShardPlan: the parameter slab of " << slab_size
                                               << " entries exceeds MPI's int counts");
  ShardPlan p;
  p.ranks = ranks;
  p.rank = rank;
  // Load of a tensor: its share of the work plus its share of the state (both matter per rank).
  const size_t n = infos.size(), R = size_t(ranks);
  double total_work = 0, total_state = 0;
  for (const auto& info : infos) total_work += optimizer_cost(info), total_state += double(info.count());
  std::vector<double> prefix(n + 1, 0.0);  // prefix[i] = load of tensors [0, i)
  for (size_t i = 0; i < n; ++i)
    prefix[i + 1] = prefix[i] + optimizer_cost(infos[i]) / std::max(total_work, 1.0) +
                    double(infos[i].count()) / std::max(total_state, 1.0);
  // Contiguous runs minimizing the sum of squared run loads (exact dynamic program over cut points):
  // the largest run is as small as the tensors allow and the others spread evenly, none left idle
  // while a cut could still help. best[r][i]: the first i tensors cut into r runs.
  constexpr double kInf = 1e300;
  std::vector<std::vector<double>> best(R + 1, std::vector<double>(n + 1, kInf));
  std::vector<std::vector<size_t>> cut(R + 1, std::vector<size_t>(n + 1, 0));
  best[0][0] = 0;
  for (size_t r = 1; r <= R; ++r)
    for (size_t i = 0; i <= n; ++i)
      for (size_t j = 0; j <= i; ++j) {
        if (best[r - 1][j] >= kInf) continue;
        const double load = prefix[i] - prefix[j], v = best[r - 1][j] + load * load;
        if (v < best[r][i]) best[r][i] = v, cut[r][i] = j;
      }
  p.first_tensor.assign(R + 1, n);
  for (size_t r = R, i = n; r > 0; --r) {
    p.first_tensor[r] = i;
    i = cut[r][i];
    if (r == 1) p.first_tensor[0] = i;
  }
  for (size_t r = 0; r < R; ++r) {
    double work = 0;
    for (size_t i = p.first_tensor[r]; i < p.first_tensor[r + 1]; ++i) work += optimizer_cost(infos[i]);
    p.cost.push_back(work);
  }
  for (size_t r = 0; r <= R; ++r) p.slab_begin.push_back(offset_of(infos, p.first_tensor[r], slab_size));
  return p;
}

std::vector<int> ShardPlan::counts() const {
  std::vector<int> c;
  for (size_t r = 0; r < size_t(ranks); ++r) c.push_back(int(slab_begin[r + 1] - slab_begin[r]));
  return c;
}

std::vector<int> ShardPlan::displacements() const {
  std::vector<int> d;
  for (size_t r = 0; r < size_t(ranks); ++r) d.push_back(int(slab_begin[r]));
  return d;
}

std::string ShardPlan::describe(const std::vector<ParamInfo>& infos) const {
  double total_cost = 0;
  for (double c : cost) total_cost += c;
  const double slab = double(slab_begin.back());
  std::string out;
  char line[256];
  for (size_t r = 0; r < size_t(ranks); ++r) {
    const size_t a = first_tensor[r], b = first_tensor[r + 1];
    std::snprintf(line, sizeof line, "  rank %zu: tensors %zu-%zu (%s .. %s), %.1f%% of the optimizer state, %.1f%% of its work\n",
                  r, a, b == a ? a : b - 1, a < b ? infos[a].name.c_str() : "-", a < b ? infos[b - 1].name.c_str() : "-",
                  100.0 * double(slab_begin[r + 1] - slab_begin[r]) / slab, 100.0 * cost[r] / total_cost);
    out += line;
  }
  return out;
}

}  // namespace lip
