// certify.target_bound (src/certify/target_bound): the cap-guaranteeing methods measured by exact
// SVD (with a hard-cap negative control), the MLP solution against its closed form, the transformer
// solution at the target for several decks (final_scale 1/4/16, both bound formulas, fixed per-role
// caps, an unembedding head), and the refusals (deck and solver).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "certify/target_bound.hpp"
#include "constraint/projector.hpp"
#include "constraint/registry.hpp"
#include "core/error.hpp"
#include "io/run_config.hpp"
#include "kernels/reference/spectral_reference.hpp"
#include "model/gpt.hpp"
#include "model/mlp.hpp"
#include "support/gpt_configs.hpp"
#include "support/test_files.hpp"

namespace k = lip::kernels;
namespace ref = lip::kernels::reference;
using lip::ConstraintPolicy;
using lip::ProjectionMethod;
using lip::kCapSlack;
using lip::test::error_of;

namespace {


ConstraintPolicy policy_of(ProjectionMethod method, double qk_w_max = 0, double head_w_max = 0) {
  ConstraintPolicy p;
  p.method = method;
  p.qk_w_max = qk_w_max;
  p.head_w_max = head_w_max;
  return p;
}

//! RMS→RMS norm of W (m, n) by exact SVD: √(n/m)·σ₁.
double exact_rms_norm(const k::Tensor2& W) {
  const auto s = ref::singular_values_only(ref::to_host(W));
  return std::sqrt(double(W.extent(1)) / double(W.extent(0))) * s.front();
}

//! Largest relative excess (‖W‖/w_max − 1) after projecting matrices whose RMS→RMS singular values
//! lie below, at, just above and far above w_max, for every shape and cap.
double worst_overshoot(ProjectionMethod method, const std::vector<double>& caps) {
  const size_t shapes[][2] = {{64, 64}, {96, 200}, {200, 96}, {10, 64}, {65, 256}};
  double worst = -1;
  for (auto shape : shapes) {
    const size_t m = shape[0], n = shape[1], r = std::min(m, n);
    const auto vectors = ref::random_singular_vectors(m, n, 7 + m);
    for (double w_max : caps) {
      // normalized-space spectrum: 3·w_max, 1.185·w_max (the hard cap's peak), w_max·(1 + 1e-4),
      // w_max, then log-spaced from 0.9·w_max down to 0.01·w_max
      std::vector<double> s(r);
      const double top[] = {3.0, 1.185, 1.0001, 1.0};
      for (size_t i = 0; i < r; ++i)
        s[i] = w_max * (i < 4 ? top[i] : 0.9 * std::pow(0.01 / 0.9, double(i - 4) / double(std::max<size_t>(r - 5, 1))));
      const double c = std::sqrt(double(m) / double(n));  // W = c·X (§2.2)
      for (double& x : s) x *= c;
      k::Tensor2 W("W", m, n);
      ref::to_device(W, ref::with_spectrum(vectors.U, s, vectors.Vt));
      lip::ProjectionSettings settings;
      settings.method = method;
      settings.w_max = w_max;
      lip::ProjectionWorkspace ws(m, n, method);
      lip::project_linear(W, settings, 0.1, 1.0, 42, ws);
      worst = std::max(worst, exact_rms_norm(W) / w_max - 1);
    }
  }
  return worst;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Which methods guarantee their cap
// ------------------------------------------------------------------------------------------------

TEST(CapGuarantee, RegistryNamesTheExactAndBelowOneMethods) {
  EXPECT_EQ(lip::cap_guaranteeing_method_names(), (std::vector<std::string>{"orthogonal", "spectral_clip", "pure_svd"}));
}

TEST(CapGuarantee, GuaranteedMethodsStayWithinTheSlackByExactSvd) {
  const std::vector<double> caps = {0.1, 1.2054, 2.1544, 6.0};
  for (const auto& entry : lip::constraint_methods()) {
    if (!entry.guarantees_cap) continue;
    const double worst = worst_overshoot(entry.method, caps);
    std::printf("%-14s largest ||W||/w_max - 1 = %.3g\n", entry.deck_name, worst);
    // A fifth of the slack: the measured bound also carries the power iteration's float rounding.
    EXPECT_LT(worst, kCapSlack / 5) << entry.deck_name;
  }
}

TEST(CapGuarantee, HardCapOvershootsTheCapSoTheCheckCanFail) {
  // Negative control: the polynomial hard cap lifts σ = 1.185·w_max to 1.0109·w_max (§2.3 item 3).
  const double worst = worst_overshoot(ProjectionMethod::hard_cap, {1.0, 2.0});
  EXPECT_GT(worst, 0.01);
  EXPECT_FALSE(lip::constraint_method(ProjectionMethod::hard_cap).guarantees_cap);
}

// ------------------------------------------------------------------------------------------------
// The solver
// ------------------------------------------------------------------------------------------------

TEST(TargetBound, MlpMatchesTheClosedForm) {
  for (int depth : {2, 3, 5})
    for (double fs : {1.0, 4.0, 0.25})
      for (double target : {0.5, 10.0, 1e3}) {
        lip::MlpConfig c;
        c.input_dim = 12, c.width = 8, c.output_dim = 3, c.num_layers = depth, c.final_scale = fs, c.max_batch = 2;
        const lip::Mlp mlp(c);
        const auto s = lip::solve_target_bound(mlp, policy_of(ProjectionMethod::pure_svd), true, target);
        // fs·(σ(1 + slack))^n = target
        const double closed = std::pow(target / fs, 1.0 / depth) / (1 + kCapSlack);
        EXPECT_NEAR(s.w_max, closed, 1e-12 * closed) << "depth " << depth << " fs " << fs << " target " << target;
        EXPECT_LE(s.worst_case.value(), target * (1 + 1e-12));
        EXPECT_GE(s.worst_case.value(), target * (1 - 1e-9));
        for (double cap : s.caps) EXPECT_EQ(cap, s.w_max);
        EXPECT_EQ(s.smallest.value(), 0.0);
      }
}

namespace {

struct GptCase {
  std::string name;
  double final_scale = 1, residual_scale = 1, softmax_scale = 1;
  lip::BoundFormula formula = lip::BoundFormula::paper;
  double qk_w_max = 0, head_w_max = 0;
  bool unembed = false;
  double target = 2;
};

lip::GptConfig config_of(const GptCase& g) {
  lip::GptConfig c = lip::test::tiny_gpt_config(3);
  c.final_scale = g.final_scale;
  c.residual_scale = g.residual_scale;
  c.softmax_scale = g.softmax_scale;
  c.bound_formula = g.formula;
  c.unembed = g.unembed;
  return c;
}

}  // namespace

TEST(TargetBound, TransformerBoundAtTheSolvedCapsIsTheTarget) {
  using F = lip::BoundFormula;
  const std::vector<GptCase> cases = {
      {"paper fs 1", 1, 1, 1, F::paper, 0, 0, false, 2},
      {"paper fs 4", 4, 1, 1, F::paper, 0, 0, false, 2},
      {"paper fs 16", 16, 1, 1, F::paper, 0, 0, false, 2},
      {"paper fs 16, target 1e4", 16, 1, 1, F::paper, 0, 0, false, 1e4},
      {"reference_code fs 1", 1, 1, 1, F::reference_code, 0, 0, false, 2},
      {"reference_code fs 4", 4, 1, 1, F::reference_code, 0, 0, false, 2},
      {"reference_code fs 16", 16, 1, 1, F::reference_code, 0, 0, false, 10},
      {"residual 3, softmax 0.5", 1, 3, 0.5, F::paper, 0, 0, false, 2},
      {"fixed q/k and head", 4, 1, 1, F::paper, 2.5, 0.8, false, 5},
      {"unembedding head", 1, 1, 1, F::paper, 0, 0, true, 100},
  };
  for (const auto& g : cases) {
    const lip::Gpt gpt(config_of(g));
    const auto s = lip::solve_target_bound(gpt, policy_of(ProjectionMethod::spectral_clip, g.qk_w_max, g.head_w_max),
                                           true, g.target);
    std::printf("%-26s target %-6g w_max %.6f worst case %.9g\n", g.name.c_str(), g.target, s.w_max,
                s.worst_case.value());
    EXPECT_LE(s.worst_case.value(), g.target * (1 + 1e-12)) << g.name;
    EXPECT_GE(s.worst_case.value(), g.target * (1 - 1e-6)) << g.name;
    // the worst case is the model's own bound at the caps (one source of the formula)
    std::vector<double> inflated = s.caps;
    for (double& c : inflated) c *= 1 + kCapSlack;
    EXPECT_EQ(gpt.certified_bound(inflated).log10_bound, s.worst_case.log10_bound) << g.name;
    // fixed parts keep their caps; every other matrix gets the solved w_max
    const auto& params = gpt.params();
    for (size_t i = 0; i < params.num_tensors(); ++i) {
      const auto& info = params.info(i);
      double expect = s.w_max;
      if (info.kind == lip::ParamKind::embedding) expect = 1;
      else if (info.kind == lip::ParamKind::unembedding) expect = double(info.cols);
      else if (info.role == lip::ParamRole::head && g.head_w_max > 0) expect = g.head_w_max;
      else if ((info.role == lip::ParamRole::attn_q || info.role == lip::ParamRole::attn_k) && g.qk_w_max > 0)
        expect = g.qk_w_max;
      EXPECT_EQ(s.caps[i], expect) << g.name << ": " << info.name;
    }
  }
}

TEST(TargetBound, SmallestReachableBoundWithAFixedHead) {
  // Free matrices at 0 leave embed · (1 − α)^(2L) · head · |fs| (paper formula, α = 1/(2L)).
  GptCase g;
  g.final_scale = 4;
  g.head_w_max = 0.5;
  const lip::Gpt gpt(config_of(g));
  const auto policy = policy_of(ProjectionMethod::spectral_clip, 0, g.head_w_max);
  const double smallest = std::pow(1 - 1.0 / 6, 6) * 0.5 * 4 * (1 + kCapSlack) * (1 + kCapSlack);
  const auto s = lip::solve_target_bound(gpt, policy, true, 1.0);
  EXPECT_NEAR(s.smallest.value(), smallest, 1e-12);
  const std::string msg = error_of([&] { lip::solve_target_bound(gpt, policy, true, 0.6); });
  EXPECT_NE(msg.find("certify.target_bound 0.6 cannot be reached"), std::string::npos) << msg;
  EXPECT_NE(msg.find("smallest certified bound this deck can reach is " + s.smallest.to_string()), std::string::npos)
      << msg;
}

TEST(TargetBound, RefusesBadTargetsAndMethods) {
  lip::MlpConfig c;
  c.input_dim = 12, c.width = 8, c.output_dim = 3, c.max_batch = 2;
  const lip::Mlp mlp(c);
  for (double bad : {0.0, -1.0, std::numeric_limits<double>::infinity(), std::nan("")}) {
    const std::string msg = error_of([&] { lip::solve_target_bound(mlp, policy_of(ProjectionMethod::pure_svd), true, bad); });
    EXPECT_NE(msg.find("certify.target_bound"), std::string::npos) << bad << ": " << msg;
    EXPECT_NE(msg.find("cannot be reached"), std::string::npos) << bad << ": " << msg;
  }
  const std::string soft = error_of([&] { lip::solve_target_bound(mlp, policy_of(ProjectionMethod::soft_cap), true, 10); });
  EXPECT_NE(soft.find("constraint.method soft_cap"), std::string::npos) << soft;
  EXPECT_NE(soft.find("(orthogonal, spectral_clip, pure_svd)"), std::string::npos) << soft;
  const std::string orth = error_of([&] { lip::solve_target_bound(mlp, policy_of(ProjectionMethod::orthogonal), false, 10); });
  EXPECT_NE(orth.find("constraint.sensitive_all true"), std::string::npos) << orth;
  EXPECT_NO_THROW(lip::solve_target_bound(mlp, policy_of(ProjectionMethod::orthogonal), true, 10));
}

TEST(TargetBound, DeckRefusesWhatCannotCertify) {
  const auto schema = lip::deck_schema();
  const std::string base =
      "run.steps 1\ndata.dataset mnist\ndata.batch_size 8\noptim.kind muon\noptim.lr 0.1\n";
  auto config_of = [&](const std::string& extra, const std::string& target = "certify.target_bound 10\n") {
    return lip::make_run_config(lip::io::parse(base + target + extra, "t.in", schema));
  };
  auto deck_error = [&](const std::string& extra, const std::string& target = "certify.target_bound 10\n") {
    return error_of([&] { config_of(extra, target); });
  };
  EXPECT_NE(deck_error("constraint.method soft_cap\n").find("t.in: certify.target_bound needs a constraint.method"),
            std::string::npos);
  EXPECT_NE(deck_error("constraint.method none\n").find("got constraint.method none"), std::string::npos);
  EXPECT_NE(deck_error("constraint.method pure_svd\nconstraint.w_max 2\n").find("constraint.w_max 2 is solved from"),
            std::string::npos);
  EXPECT_NE(deck_error("constraint.method orthogonal\nconstraint.sensitive_all false\n").find("sensitive_all true"),
            std::string::npos);
  const std::string negative = deck_error("constraint.method pure_svd\n", "certify.target_bound -1\n");
  EXPECT_NE(negative.find("t.in:6: certify.target_bound"), std::string::npos) << negative;
  EXPECT_NO_THROW(config_of("constraint.method pure_svd\n"));
  EXPECT_NO_THROW(config_of("constraint.method spectral_clip\n"));
}
