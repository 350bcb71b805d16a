#pragma once
/* Which rank owns which tensors' optimizer work (NANOGPT.md §3.6, modded-nanogpt style sharding):
 * the tensors, in parameter order, are cut into one contiguous run per rank, balanced by the cost
 * of their optimizer and projection work and by their share of the optimizer state. A single tensor
 * is never split: one that holds more than 1/ranks of the work or state (NanoGPT's head and
 * embedding at 8 ranks) bounds what sharding can save. The owner alone keeps the tensor's optimizer state
 * (momentum, Adam moments, direction), computes its update and projection; then every rank's run
 * of the parameter slab is all-gathered. Because a run of tensors is a contiguous segment of the
 * slab, a rank's optimizer slabs are that segment of the full-layout slabs: checkpoints gather them
 * into the full layout (unchanged format), and a resume at another rank count cuts them anew.
 *
 * The arithmetic of every tensor is the same whichever rank does it, so a sharded run gives the
 * replicated run's parameters bit for bit at every rank count.
 */
#include <cstddef>
#include <string>
#include <vector>

#include "model/param_store.hpp"

namespace lip {

struct ShardPlan {
  int ranks = 1, rank = 0;
  //! Tensors [first_tensor[r], first_tensor[r + 1]) belong to rank r (ranks + 1 entries).
  std::vector<size_t> first_tensor;
  //! Their slab segment [slab_begin[r], slab_begin[r + 1]) (ranks + 1 entries; the last is the slab size).
  std::vector<size_t> slab_begin;
  std::vector<double> cost;  //!< modelled optimizer + projection cost per rank (relative units)

  //! Every tensor on this one rank (the replicated optimizer: each rank does all the work).
  static ShardPlan replicated(const ParamStore& params);
  //! Contiguous runs balanced by optimizer_cost and state size (a run may be empty when there are
  //! more ranks than tensors).
  static ShardPlan balanced(const std::vector<ParamInfo>& infos, size_t slab_size, int ranks, int rank);

  bool sharded() const { return ranks > 1; }
  size_t begin() const { return first_tensor[size_t(rank)]; }  //!< this rank's first tensor
  size_t end() const { return first_tensor[size_t(rank) + 1]; }
  size_t segment_begin() const { return slab_begin[size_t(rank)]; }
  size_t segment_size() const { return slab_begin[size_t(rank) + 1] - slab_begin[size_t(rank)]; }
  bool owns(size_t tensor) const { return tensor >= begin() && tensor < end(); }
  //! MPI counts and displacements of every rank's segment (entries of the slab).
  std::vector<int> counts() const;
  std::vector<int> displacements() const;
  //! One line per rank: tensors, names, state share and modelled cost share.
  std::string describe(const std::vector<ParamInfo>& infos) const;
};

//! Modelled cost of a tensor's optimizer and projection work: rows·cols·min(rows, cols) for a
//! matrix (Newton–Schulz and the polynomial constraints are products of that size), rows·cols for a
//! token table (row/column normalizations).
double optimizer_cost(const ParamInfo& info);

}  // namespace lip
