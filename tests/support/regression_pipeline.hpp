#pragma once
/* The training-step stages shared by the model regression tests (tests/test_regression_*.cpp):
 * one Muon step followed by each constraint method, the certified-bound norms, and the 20-step
 * trajectory. Every step is the production TrainStep (train/step.hpp) with the production
 * per-tensor policy (constraint/policy.hpp: each matrix's method and its role's w_max; token
 * tables capped by kind), built from the reference file's settings; only the data plumbing and
 * logging of the trainer are left out.
 *
 * A file may hold several cases: the attributes of a case live in one group ("config" by
 * default) and its datasets under a prefix ("" by default, e.g. "linear_head/").
 */
#include <map>
#include <memory>
#include <optional>

#include "constraint/policy.hpp"
#include "constraint/projector.hpp"
#include "core/comm.hpp"
#include "kernels/reductions.hpp"
#include "kernels/spectral.hpp"
#include "model/model.hpp"
#include "optim/optimizer.hpp"
#include "optim/schedule.hpp"
#include "support/regression_compare.hpp"
#include "train/step.hpp"

namespace lip::test {

//! Where a case's settings (attributes) and datasets live in a reference file.
struct RegressionCase {
  std::string attrs = "config";
  std::string prefix = "";
  std::string init = "";  //!< group of the initial parameters ("": prefix + "init")
  std::string operator()(const std::string& dataset) const { return prefix + dataset; }
  std::string init_group() const { return init.empty() ? prefix + "init" : init; }
  //! Stage names: "variant/" + "forward" -> "variant.forward".
  std::string stage(const std::string& name) const {
    return prefix.empty() ? name : prefix.substr(0, prefix.size() - 1) + "." + name;
  }
};

//! Every constraint method of the reference (ALGORITHMS §2.3 and §2.7), in the reference's order.
inline const std::vector<std::string>& regression_methods() {
  static const std::vector<std::string> m = {"none",     "spec_wd",  "spec_normalize", "orthogonal",    "spec_hammer",
                                             "soft_cap", "hard_cap", "pure_svd",       "spectral_clip", "clipped_wd"};
  return m;
}

inline double attr_or(const ReferenceFile& ref, const std::string& group, const std::string& name, double fallback) {
  return ref.has_attr(group, name) ? ref.attr(group, name) : fallback;
}

//! Muon for every group (hidden, embed, head) with the reference's settings.
inline std::map<std::string, OptimizerGroup> regression_muon_groups(const ReferenceFile& ref,
                                                                    const RegressionCase& c = {}) {
  OptimizerGroup g;
  g.kind = OptimizerKind::muon;
  g.lr = ref.attr(c.attrs, "lr");
  g.beta1 = ref.attr(c.attrs, "beta1");
  g.weight_decay = ref.attr(c.attrs, "weight_decay");
  g.nesterov = false;
  g.ns_table = "reference6";
  g.embed_inflation = attr_or(ref, c.attrs, "embed_inflation", g.embed_inflation);
  return {{"hidden", g}, {"embed", g}, {"head", g}};
}

//! The deck-level constraint settings every tensor shares (method and w_max come from the policy).
inline ProjectionSettings regression_projection(const ReferenceFile& ref, const std::string& method,
                                                const RegressionCase& c = {}) {
  ProjectionSettings s;
  s.method = parse_projection_method(method);
  s.w_max = ref.attr(c.attrs, "w_max");
  s.weight_decay = ref.attr(c.attrs, "weight_decay");
  s.spectral_wd = ref.attr(c.attrs, "spectral_wd");
  s.clip_min = ref.attr(c.attrs, "clip_min");
  s.clipped_wd_lambda = ref.attr(c.attrs, "clipped_wd_lambda");
  s.power_iterations = int(attr_or(ref, c.attrs, "power_iterations", 16));
  s.sensitive_all = true;               // the reference's semantics (§13 item 1 recommendation)
  s.divide_update_by_fan_scale = true;  // §2.4 CODE coupling, as the reference
  return s;
}

//! The per-role rule: `method` on every matrix, the file's qk_w_max / head_w_max where it has them.
inline ConstraintPolicy regression_policy(const ReferenceFile& ref, const std::string& method,
                                          const RegressionCase& c = {}) {
  return {parse_projection_method(method), ref.attr(c.attrs, "w_max"), attr_or(ref, c.attrs, "qk_w_max", 0),
          attr_or(ref, c.attrs, "head_w_max", 0)};
}

inline Schedule regression_schedule(const ReferenceFile& ref, const RegressionCase& c = {}) {
  Schedule s;
  s.kind = Schedule::Kind::linear;
  s.total_steps = ref.attr_int(c.attrs, "steps");
  return s;
}

//! The production step with the reference's settings: fresh optimizer state, `method` on every matrix
//! with the file's per-role w_max (or `policy`, for negative controls).
struct RegressionStep {
  RegressionStep(const ReferenceFile& ref, const RegressionCase& c, Model& model, const std::string& method,
                 size_t batch_rows, uint64_t projection_seed_base, std::optional<ConstraintPolicy> policy = {}) {
    assign_constraints(model.mutable_params(), policy ? *policy : regression_policy(ref, method, c));
    optimizer = std::make_unique<Optimizer>(model.params(), regression_muon_groups(ref, c));
    projector = std::make_unique<Projector>(model.params(), regression_projection(ref, method, c));
    step = std::make_unique<TrainStep>(model, *optimizer, *projector, comm, BatchPlan::single(batch_rows),
                                       regression_schedule(ref, c), projection_seed_base);
  }
  Comm comm;
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<Projector> projector;
  std::unique_ptr<TrainStep> step;
};

inline std::vector<Item> tensor_items(const ParamStore& params, const std::string& group, bool grads = false) {
  std::vector<Item> items;
  for (size_t i = 0; i < params.num_tensors(); ++i)
    items.push_back({group + "/" + params.info(i).name, host_values(grads ? params.grad(i) : params.param(i))});
  return items;
}

inline std::vector<double> target_norms(const ParamStore& params) {
  std::vector<double> t;
  for (const auto& info : params.infos()) t.push_back(info.target_norm);
  return t;
}

//! RMS→RMS norms from an exact (LAPACK) SVD for matrices and unembeddings; max column RMS for embeddings.
inline std::vector<double> exact_norms(const ParamStore& params) {
  std::vector<double> n;
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto& info = params.info(i);
    if (info.kind == ParamKind::embedding) n.push_back(kernels::max_column_rms(params.param(i)));
    else n.push_back(std::sqrt(double(info.cols) / double(info.rows)) * kernels::spectral_norm_exact(params.param(i)));
  }
  return n;
}

//! Items of stage step1.<method>: elementwise, or (power-iteration methods on a nearly degenerate
//! top cluster, marked check = invariants by the reference) σ1 and ‖·‖_F of the result.
inline std::vector<Item> step1_items(const ReferenceFile& ref, const ParamStore& params, const std::string& method,
                                     const RegressionCase& c = {}) {
  std::vector<Item> items;
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const std::string ds = c("step1/" + method + "/" + params.info(i).name);
    if (ref.has_attr(ds, "check") && ref.attr_string(ds, "check") == "invariants") {
      const auto W = params.param(i);
      const auto v = host_values(W);
      double ss = 0;
      for (double x : v) ss += x * x;
      Item it{ds + " [sigma1, frobenius]", {kernels::spectral_norm_exact(W), std::sqrt(ss)}};
      it.expected = std::vector<double>{ref.attr(ds, "result_sigma1"), ref.attr(ds, "result_frobenius")};
      it.tol = Tolerance{0.0, ref.attr(ds, "invariant_rtol"), ref.attr_string(ds, "reason")};
      items.push_back(it);
    } else {
      items.push_back({ds, host_values(params.param(i))});
    }
  }
  return items;
}

/* One production step (TrainStep at step 0) from the initial parameters with each constraint method:
 *   step1.momentum    EMA buffer (1 − β1)·G
 *   step1.none        decay & step with the Newton–Schulz-dualized direction, no projection
 *   step1.soft_cap_alpha  coupled soft-cap strength per matrix (0 for token tables)
 *   step1.<method>    each projection method
 * Leaves the model holding the soft_cap result (the input of the bound stage). */
inline void step1_stages(const ReferenceFile& ref, StageRunner& st, Model& model, const Batch& batch,
                         const RegressionCase& c = {}) {
  const auto& P = model.params();
  auto run_step = [&](const std::string& method) {
    load_parameters(ref, P, c.init_group());
    auto s = std::make_unique<RegressionStep>(ref, c, model, method, batch.size, 12345);
    s->step->run(batch, 0);
    return s;
  };
  {
    const auto s = run_step("none");
    std::vector<Item> momentum;
    for (size_t i = 0; i < P.num_tensors(); ++i)
      momentum.push_back(
          {c("step1/momentum/" + P.info(i).name), host_values(P.view_of(s->optimizer->first_moment(), i))});
    ASSERT_TRUE(st.stage(c.stage("step1.momentum"), momentum));
    ASSERT_TRUE(st.stage(c.stage("step1.none (dualize, decay, step)"), step1_items(ref, P, "none", c)));
    // α of the soft-cap policy, from the settings its projector resolved for each tensor
    assign_constraints(model.mutable_params(), regression_policy(ref, "soft_cap", c));
    const Projector soft(P, regression_projection(ref, "soft_cap", c));
    const double factor = regression_schedule(ref, c).factor(0);
    std::vector<double> alpha;
    for (size_t i = 0; i < P.num_tensors(); ++i) {
      const auto& info = P.info(i);
      alpha.push_back(info.kind != ParamKind::matrix ? 0.0
                                                     : projection_soft_cap_alpha(info.rows, info.cols, soft.settings(i),
                                                                                 s->optimizer->lr(i, factor),
                                                                                 info.target_norm));
    }
    ASSERT_TRUE(st.stage(c.stage("step1.soft_cap_alpha"), {{c("step1/soft_cap_alpha"), alpha}}));
  }
  for (const auto& method : regression_methods()) {
    if (method == "none" || method == "soft_cap") continue;
    run_step(method);
    ASSERT_TRUE(st.stage(c.stage("step1." + method), step1_items(ref, P, method, c)));
  }
  run_step("soft_cap");
  ASSERT_TRUE(st.stage(c.stage("step1.soft_cap"), step1_items(ref, P, "soft_cap", c)));
}

//! 20 production steps from the initial parameters over the cycled batches with the trajectory method.
inline void trajectory_stages(const ReferenceFile& ref, StageRunner& st, Model& model, const std::vector<Batch>& batches,
                              const RegressionCase& c = {}) {
  const auto& P = model.params();
  load_parameters(ref, P, c.init_group());
  RegressionStep s(ref, c, model, ref.attr_string(c.attrs, "trajectory_method"), batches.front().size, 777);
  std::vector<double> losses;
  for (long t = 0; t < ref.attr_int(c.attrs, "steps"); ++t)
    losses.push_back(s.step->run(batches[size_t(t) % batches.size()], t).loss);
  ASSERT_TRUE(st.stage(c.stage("trajectory.loss (20 steps)"), {{c("trajectory/loss"), losses}}));
  ASSERT_TRUE(st.stage(c.stage("trajectory.final_parameters"), tensor_items(P, c("trajectory/final"))));
}

}  // namespace lip::test
