// ShardPlan (optim/shard_plan.hpp): contiguous runs covering every tensor once, segments that are
// the runs' slab ranges, balance against the best single-tensor limit, empty runs when there are
// more ranks than tensors; and an Optimizer built on a shard holds only its segment.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "model/gpt.hpp"
#include "optim/optimizer.hpp"
#include "optim/shard_plan.hpp"
#include "support/gpt_configs.hpp"

namespace {

double load(const lip::ShardPlan& p, size_t r) { return p.cost[r]; }

}  // namespace

TEST(ShardPlan, RunsCoverEveryTensorOnceAndSegmentsAreTheirSlabRanges) {
  lip::Gpt gpt(lip::test::tiny_gpt_config(3));
  const auto& P = gpt.params();
  for (int ranks : {1, 2, 3, 4, 7}) {
    SCOPED_TRACE(ranks);
    size_t covered = 0, state = 0;
    for (int rank = 0; rank < ranks; ++rank) {
      const auto plan = lip::ShardPlan::balanced(P.infos(), P.slab_size(), ranks, rank);
      ASSERT_EQ(plan.first_tensor.size(), size_t(ranks) + 1);
      EXPECT_EQ(plan.first_tensor.front(), 0u);
      EXPECT_EQ(plan.first_tensor.back(), P.num_tensors());
      EXPECT_TRUE(std::is_sorted(plan.first_tensor.begin(), plan.first_tensor.end()));
      covered += plan.end() - plan.begin();
      state += plan.segment_size();
      if (plan.begin() < plan.end()) {
        EXPECT_EQ(plan.segment_begin(), P.info(plan.begin()).offset);
        const auto& last = P.info(plan.end() - 1);
        EXPECT_GE(plan.segment_begin() + plan.segment_size(), last.offset + last.count());
      }
      const auto counts = plan.counts(), displs = plan.displacements();
      EXPECT_EQ(size_t(counts[size_t(rank)]), plan.segment_size());
      EXPECT_EQ(size_t(displs[size_t(rank)]), plan.segment_begin());
    }
    EXPECT_EQ(covered, P.num_tensors());
    EXPECT_EQ(state, P.slab_size());
  }
}

TEST(ShardPlan, BalancedUpToTheLargestTensor) {
  lip::Gpt gpt(lip::test::tiny_gpt_config(3));
  const auto& P = gpt.params();
  double total = 0, largest = 0;
  for (const auto& info : P.infos()) total += lip::optimizer_cost(info), largest = std::max(largest, lip::optimizer_cost(info));
  const auto plan = lip::ShardPlan::balanced(P.infos(), P.slab_size(), 2, 0);
  // a contiguous cut can always get within one tensor of an even split
  for (size_t r = 0; r < 2; ++r) EXPECT_LE(load(plan, r), total / 2 + largest) << r;
  EXPECT_GT(load(plan, 0), 0);
  EXPECT_GT(load(plan, 1), 0);
}

TEST(ShardPlan, MoreRanksThanTensorsLeavesEmptyRuns) {
  lip::Gpt gpt(lip::test::tiny_gpt_config(1));  // 8 tensors
  const auto& P = gpt.params();
  const int ranks = int(P.num_tensors()) + 3;
  size_t nonempty = 0;
  for (int rank = 0; rank < ranks; ++rank) {
    const auto plan = lip::ShardPlan::balanced(P.infos(), P.slab_size(), ranks, rank);
    EXPECT_LE(plan.end() - plan.begin(), 1u);
    nonempty += plan.end() > plan.begin();
  }
  EXPECT_EQ(nonempty, P.num_tensors());
}

TEST(ShardPlan, OptimizerHoldsOnlyItsSegment) {
  lip::Gpt gpt(lip::test::tiny_gpt_config(3));
  const auto& P = gpt.params();
  const auto groups = std::map<std::string, lip::OptimizerGroup>{{"hidden", {}}, {"embed", {}}, {"head", {}}};
  const lip::Optimizer replicated(P, groups);
  const auto plan = lip::ShardPlan::balanced(P.infos(), P.slab_size(), 2, 1);
  const lip::Optimizer sharded(P, groups, plan);
  EXPECT_EQ(replicated.first_moment().extent(0), P.slab_size());
  EXPECT_EQ(sharded.first_moment().extent(0), plan.segment_size());
  EXPECT_LT(sharded.state_bytes(), replicated.state_bytes());
  EXPECT_EQ(sharded.state_view(sharded.first_moment(), P, plan.begin()).data(), sharded.first_moment().data());
  EXPECT_THROW(sharded.state_view(sharded.first_moment(), P, 0), lip::Error);  // rank 0's tensor
}
