// TrainStep (train/step.hpp): the stage order (the update rule sees the directions before any
// weight moves; a failed check stops the step before the update), gradient accumulation over
// micro-batches, and the batch plan's validation.
#include <gtest/gtest.h>

#include "constraint/policy.hpp"
#include "core/comm.hpp"
#include "core/error.hpp"
#include "model/mlp.hpp"
#include "kernels/elementwise.hpp"
#include "support/device_helpers.hpp"
#include "train/step.hpp"

namespace {

constexpr size_t kRows = 8, kFeatures = 12, kClasses = 5;

lip::Mlp make_mlp(lip::ProjectionMethod method) {
  lip::MlpConfig c;
  c.input_dim = kFeatures;
  c.width = 16;
  c.output_dim = kClasses;
  c.num_layers = 3;
  c.zero_init_layer = "none";  // every layer carries gradient at step 0
  c.max_batch = kRows;
  lip::Mlp mlp(c);
  mlp.initialize(7);
  lip::assign_constraints(mlp.mutable_params(), {method, 1.0, 0, 0});
  return mlp;
}

lip::Batch make_batch() {
  lip::Batch b;
  b.size = kRows;
  b.inputs = lip::test::random_tensor(kRows, kFeatures, 3);
  b.targets = lip::test::index_tensor(lip::test::random_labels(kRows, int(kClasses), 4));
  return b;
}

std::map<std::string, lip::OptimizerGroup> muon() {
  lip::OptimizerGroup g;
  g.lr = 0.05;
  return {{"hidden", g}, {"embed", g}, {"head", g}};
}

std::vector<double> host(const lip::kernels::Tensor1& slab) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), slab);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

// Records the weights it sees and scales the directions by `factor`.
class ScaleUpdate : public lip::UpdateRule {
 public:
  explicit ScaleUpdate(double factor) : factor_(factor) {}
  void adjust(const lip::ParamStore& params, const lip::Optimizer& optimizer, double, long) override {
    seen_weights = host(params.params_slab());
    seen_direction_norm = 0;
    for (double d : host(optimizer.directions())) seen_direction_norm += d * d;
    lip::kernels::scale("test::scale_update", optimizer.directions(), lip::kernels::Real(factor_));
  }
  std::vector<double> seen_weights;
  double seen_direction_norm = -1;

 private:
  double factor_;
};

}  // namespace

TEST(TrainStep, UpdateRuleRunsBetweenDirectionsAndTheStep) {
  lip::Comm comm;
  const auto batch = make_batch();
  auto run = [&](lip::UpdateRule* rule) {
    auto mlp = make_mlp(lip::ProjectionMethod::none);
    lip::Optimizer opt(mlp.params(), muon());
    lip::Projector projector(mlp.params(), {});
    lip::TrainStep step(mlp, opt, projector, comm, lip::BatchPlan::single(kRows), lip::Schedule{}, 0);
    const auto before = host(mlp.params().params_slab());
    step.set_update_rule(rule);
    step.run(batch, 0);
    return std::make_pair(before, host(mlp.params().params_slab()));
  };
  ScaleUpdate zero(0.0);
  const auto [before, after] = run(&zero);
  EXPECT_EQ(zero.seen_weights, before);   // nothing moved before the rule
  EXPECT_GT(zero.seen_direction_norm, 0);  // the directions were computed
  EXPECT_EQ(after, before);                // weight decay 0, no constraint: a zero update moves nothing
  // negative control: without the rule the same step moves the weights
  const auto [before2, after2] = run(nullptr);
  EXPECT_EQ(before2, before);
  EXPECT_NE(after2, before2);
}

TEST(TrainStep, FailedCheckStopsBeforeTheUpdate) {
  lip::Comm comm;
  auto mlp = make_mlp(lip::ProjectionMethod::soft_cap);
  lip::Optimizer opt(mlp.params(), muon());
  lip::Projector projector(mlp.params(), {});
  lip::TrainStep step(mlp, opt, projector, comm, lip::BatchPlan::single(kRows), lip::Schedule{}, 0);
  double seen_loss = -1;
  step.set_check([&](const lip::StepResult& r) {
    seen_loss = r.loss;
    throw lip::Error("stop here");
  });
  const auto before = host(mlp.params().params_slab());
  EXPECT_THROW(step.run(make_batch(), 0), lip::Error);
  EXPECT_GT(seen_loss, 0);
  EXPECT_EQ(host(mlp.params().params_slab()), before);
  for (double m : host(opt.first_moment())) ASSERT_EQ(m, 0.0);  // no momentum either
}

TEST(TrainStep, MicroBatchesGiveTheFullBatchStep) {
  lip::Comm comm;
  const auto batch = make_batch();
  auto after_one_step = [&](size_t micro) {
    auto mlp = make_mlp(lip::ProjectionMethod::soft_cap);
    lip::Optimizer opt(mlp.params(), muon());
    lip::Projector projector(mlp.params(), {});
    lip::BatchPlan plan = lip::BatchPlan::single(kRows);
    plan.train.micro = micro;
    lip::TrainStep step(mlp, opt, projector, comm, plan, lip::Schedule{}, 0);
    const auto r = step.run(batch, 0);
    auto out = host(mlp.params().grads_slab());
    out.push_back(r.loss);
    return out;
  };
  const auto full = after_one_step(kRows), quarters = after_one_step(kRows / 4);
  ASSERT_EQ(full.size(), quarters.size());
  double worst = 0;
  for (size_t i = 0; i < full.size(); ++i) worst = std::max(worst, std::abs(full[i] - quarters[i]));
  EXPECT_LT(worst, 1e-6);
  EXPECT_GT(std::abs(full.back()), 0.1);  // the loss is not trivially zero
}

TEST(BatchPlan, SplitsEvenlyOrNamesTheKey) {
  lip::RunConfig c;
  c.batch_size = 64;
  c.eval_batch_size = 32;
  c.micro_batch = 8;
  const auto plan = lip::BatchPlan::make(c, 2, 1);
  EXPECT_EQ(plan.train.local, 32u);
  EXPECT_EQ(plan.train.micro, 8u);
  EXPECT_EQ(plan.train.passes(), 4u);
  EXPECT_EQ(plan.eval.local, 16u);
  EXPECT_EQ(plan.forward_rows(), (std::vector<size_t>{8, 8}));
  auto message = [&](int ranks) {
    try {
      lip::BatchPlan::make(c, ranks, 0);
    } catch (const lip::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message(3).find("data.batch_size 64 is not divisible by the 3 MPI ranks"), std::string::npos) << message(3);
  c.micro_batch = 12;
  EXPECT_NE(message(2).find("data.micro_batch 12 does not divide the 32 examples"), std::string::npos) << message(2);
  c.micro_batch = 0;  // the whole local batch in one pass
  EXPECT_EQ(lip::BatchPlan::make(c, 2, 0).train.micro, 32u);
}
