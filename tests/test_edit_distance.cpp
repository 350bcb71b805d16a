// edit_distance and closest_name: the distance itself, and which candidate a "did you mean"
// message names (the nearest, the first of equally near ones).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/edit_distance.hpp"

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(lip::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(lip::edit_distance("", "abc"), 3u);
  EXPECT_EQ(lip::edit_distance("abc", ""), 3u);
  EXPECT_EQ(lip::edit_distance("", ""), 0u);
  EXPECT_EQ(lip::edit_distance("optim.lr", "optim.lr"), 0u);
  EXPECT_EQ(lip::edit_distance("optim.lrr", "optim.lr"), 1u);
  EXPECT_EQ(lip::edit_distance("optmi.lr", "optim.lr"), 2u);
  EXPECT_EQ(lip::edit_distance("Muon", "muon"), 1u);  // case-sensitive
}

TEST(EditDistance, ClosestNameIsTheNearestAndTheFirstOnTies) {
  const std::vector<std::string> methods = {"orthogonal", "spec_normalize", "soft_cap", "hard_cap"};
  EXPECT_EQ(lip::closest_name("soft_cap", methods), "soft_cap");
  EXPECT_EQ(lip::closest_name("hard_cap", methods), "hard_cap");
  // 4 edits from both soft_cap and hard_cap: the first of them wins.
  EXPECT_EQ(lip::closest_name("xxxx_cap", methods), "soft_cap");
  EXPECT_EQ(lip::closest_name("b", {"a", "c"}), "a");
  EXPECT_EQ(lip::closest_name("anything", {}), "");
  EXPECT_EQ(lip::closest_name("", {"ab", "a"}), "a");
}
