#pragma once
/* The training-step stages shared by the model regression tests (tests/test_regression_*.cpp):
 * one Muon step followed by each constraint method, the certified-bound norms, and the 20-step
 * trajectory. The tests drive the components directly, in the order Trainer::step uses
 * (zero_grad, forward, backward, Optimizer::step, projection), so the stages do not depend on
 * the trainer's data or logging plumbing.
 */
#include <map>
#include <memory>

#include "constraint/projector.hpp"
#include "kernels/reductions.hpp"
#include "kernels/spectral.hpp"
#include "model/model.hpp"
#include "optim/optimizer.hpp"
#include "optim/schedule.hpp"
#include "support/regression_compare.hpp"

namespace lip::test {

//! Every constraint method of the reference (ALGORITHMS §2.3 and §2.7), in the reference's order.
inline const std::vector<std::string>& regression_methods() {
  static const std::vector<std::string> m = {"none",     "spec_wd",  "spec_normalize", "orthogonal",    "spec_hammer",
                                             "soft_cap", "hard_cap", "pure_svd",       "spectral_clip", "clipped_wd"};
  return m;
}

inline bool uses_power_iteration(const std::string& method) {
  return method == "spec_wd" || method == "spec_normalize" || method == "spec_hammer";
}

//! Muon for every group (hidden, embed, head) with the reference's settings (group config).
inline std::map<std::string, OptimizerGroup> regression_muon_groups(const ReferenceFile& ref) {
  OptimizerGroup g;
  g.kind = OptimizerKind::muon;
  g.lr = ref.attr("config", "lr");
  g.beta1 = ref.attr("config", "beta1");
  g.weight_decay = ref.attr("config", "weight_decay");
  g.nesterov = false;
  g.ns_table = "reference6";
  if (ref.has_attr("config", "embed_inflation")) g.embed_inflation = ref.attr("config", "embed_inflation");
  return {{"hidden", g}, {"embed", g}, {"head", g}};
}

inline ProjectionSettings regression_projection(const ReferenceFile& ref, const std::string& method) {
  ProjectionSettings s;
  s.method = parse_projection_method(method);
  s.w_max = ref.attr("config", "w_max");
  s.weight_decay = ref.attr("config", "weight_decay");
  s.spectral_wd = ref.attr("config", "spectral_wd");
  s.clip_min = ref.attr("config", "clip_min");
  s.clipped_wd_lambda = ref.attr("config", "clipped_wd_lambda");
  s.power_iterations = ref.has_attr("config", "power_iterations") ? int(ref.attr_int("config", "power_iterations")) : 16;
  s.sensitive_all = true;               // the reference's semantics (§13 item 1 recommendation)
  s.divide_update_by_fan_scale = true;  // §2.4 CODE coupling, as the reference
  return s;
}

inline Schedule regression_schedule(const ReferenceFile& ref) {
  Schedule s;
  s.kind = Schedule::Kind::linear;
  s.total_steps = ref.attr_int("config", "steps");
  return s;
}

//! Projection of every parameter, as Trainer::project_all: embeddings capped, matrices project_linear.
class Projector {
 public:
  void apply(const ParamStore& params, const Optimizer& opt, const ProjectionSettings& s, double factor,
             uint64_t seed) {
    for (size_t i = 0; i < params.num_tensors(); ++i) {
      const auto& info = params.info(i);
      if (info.kind == ParamKind::embedding) {
        project_embedding(params.param(i));
        continue;
      }
      project_linear(params.param(i), s, opt.lr(i, factor), info.target_norm, seed, workspace(info.rows, info.cols));
    }
  }
  ProjectionWorkspace& workspace(size_t rows, size_t cols) {
    auto& slot = ws_[{rows, cols}];
    if (!slot) slot = std::make_unique<ProjectionWorkspace>(rows, cols);
    return *slot;
  }

 private:
  std::map<std::pair<size_t, size_t>, std::unique_ptr<ProjectionWorkspace>> ws_;
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

//! RMS→RMS norms from an exact (LAPACK) SVD for matrices; max column RMS for embeddings.
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
inline std::vector<Item> step1_items(const ReferenceFile& ref, const ParamStore& params, const std::string& method) {
  std::vector<Item> items;
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const std::string ds = "step1/" + method + "/" + params.info(i).name;
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

/* One Muon step from the initial parameters followed by each constraint method:
 *   step1.momentum    EMA buffer (1 − β1)·G
 *   step1.none        decay & step with the Newton–Schulz-dualized direction, no projection
 *   step1.soft_cap_alpha  coupled soft-cap strength per matrix
 *   step1.<method>    each projection method
 * Leaves the model holding the soft_cap result (the input of the bound stage). */
inline void step1_stages(const ReferenceFile& ref, StageRunner& st, Model& model, const Batch& batch) {
  const auto& P = model.params();
  const auto groups = regression_muon_groups(ref);
  const auto schedule = regression_schedule(ref);
  const double factor = schedule.factor(0);
  Projector projector;
  auto run_step = [&](const std::string& method, Optimizer& opt) {
    load_parameters(ref, P, "init");
    P.zero_grad();
    model.forward(batch);
    model.backward();
    opt.step(P, factor, 0);
    projector.apply(P, opt, regression_projection(ref, method), factor, 12345);
  };
  {
    Optimizer opt(P, groups);
    run_step("none", opt);
    std::vector<Item> momentum;
    for (size_t i = 0; i < P.num_tensors(); ++i)
      momentum.push_back({"step1/momentum/" + P.info(i).name, host_values(P.view_of(opt.first_moment(), i))});
    ASSERT_TRUE(st.stage("step1.momentum", momentum));
    ASSERT_TRUE(st.stage("step1.none (dualize, decay, step)", step1_items(ref, P, "none")));
    std::vector<double> alpha;
    const auto soft = regression_projection(ref, "soft_cap");
    for (size_t i = 0; i < P.num_tensors(); ++i) {
      const auto& info = P.info(i);
      alpha.push_back(info.kind == ParamKind::embedding
                          ? 0.0
                          : projection_soft_cap_alpha(info.rows, info.cols, soft, opt.lr(i, factor), info.target_norm));
    }
    ASSERT_TRUE(st.stage("step1.soft_cap_alpha", {{"step1/soft_cap_alpha", alpha}}));
  }
  for (const auto& method : regression_methods()) {
    if (method == "none" || method == "soft_cap") continue;
    Optimizer opt(P, groups);
    run_step(method, opt);
    ASSERT_TRUE(st.stage("step1." + method, step1_items(ref, P, method)));
  }
  Optimizer opt(P, groups);
  run_step("soft_cap", opt);
  ASSERT_TRUE(st.stage("step1.soft_cap", step1_items(ref, P, "soft_cap")));
}

//! 20 steps from the initial parameters over the cycled batches with the trajectory method.
inline void trajectory_stages(const ReferenceFile& ref, StageRunner& st, Model& model, const std::vector<Batch>& batches) {
  const auto& P = model.params();
  load_parameters(ref, P, "init");
  Optimizer opt(P, regression_muon_groups(ref));
  const auto schedule = regression_schedule(ref);
  const auto settings = regression_projection(ref, ref.attr_string("config", "trajectory_method"));
  Projector projector;
  std::vector<double> losses;
  for (long t = 0; t < schedule.total_steps; ++t) {
    P.zero_grad();
    losses.push_back(model.forward(batches[size_t(t) % batches.size()]));
    model.backward();
    const double factor = schedule.factor(t);
    opt.step(P, factor, t);
    projector.apply(P, opt, settings, factor, 777 + uint64_t(t));
  }
  ASSERT_TRUE(st.stage("trajectory.loss (20 steps)", {{"trajectory/loss", losses}}));
  ASSERT_TRUE(st.stage("trajectory.final_parameters", tensor_items(P, "trajectory/final")));
}

}  // namespace lip::test
