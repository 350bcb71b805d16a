#include "model/gpt_bound.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "core/error.hpp"

namespace lip {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kLn10 = 2.302585092994045684017991454684;

// ---------------------------------------------------------------------------------------------
// log10-space arithmetic. A value x ≥ 0 is carried as log10(x); x = 0 is −inf.
// ---------------------------------------------------------------------------------------------

double log10_of(double x) { return x > 0 ? std::log10(x) : kNegInf; }

//! log10(10^x + 10^y), exact when either term is zero (−inf).
double log10_sum(double x, double y) {
  if (x < y) std::swap(x, y);
  if (y == kNegInf) return x;
  return x + std::log1p(std::pow(10.0, y - x)) / kLn10;
}

//! Residual share and its complement, as log10. The residual x ← (1−α)·x + α·f(x) multiplies a
//! bound B by |1−α| + α·B_f (triangle inequality; |·| keeps it valid should α exceed 1).
struct Residual {
  double log_keep;   // log10 |1−α|
  double log_alpha;  // log10 α
  //! log10 of |1−α| + α·10^log_branch: the factor a bound picks up through this residual.
  double factor(double log_branch) const { return log10_sum(log_keep, log_alpha + log_branch); }
};

bool uses_reference_recursion(BoundFormula f) { return f != BoundFormula::paper; }

const char* formula_name(BoundFormula f) {
  switch (f) {
    case BoundFormula::paper:
      return "paper";
    case BoundFormula::reference_code:
      return "reference_code";
    case BoundFormula::nanogpt_reference:
      return "nanogpt_reference";
  }
  return "?";
}

void require_norm(double x, const char* what, size_t block) {
  LIP_REQUIRE(std::isfinite(x) && x >= 0,
              "gpt_lipschitz_bound: norm " << what << " of block " << block
                                           << " must be finite and >= 0, got " << x);
}

void validate(const GptBoundInput& in) {
  LIP_REQUIRE(!in.blocks.empty(), "gpt_lipschitz_bound: expected at least one block, got 0");
  LIP_REQUIRE(std::isfinite(in.embed) && in.embed >= 0,
              "gpt_lipschitz_bound: embed norm must be finite and >= 0, got " << in.embed);
  LIP_REQUIRE(std::isfinite(in.head) && in.head >= 0,
              "gpt_lipschitz_bound: head norm must be finite and >= 0, got " << in.head);
  LIP_REQUIRE(std::isfinite(in.softmax_scale) && in.softmax_scale >= 0,
              "gpt_lipschitz_bound: softmax_scale must be finite and >= 0, got " << in.softmax_scale);
  LIP_REQUIRE(std::isfinite(in.residual_scale) && in.residual_scale >= 0,
              "gpt_lipschitz_bound: residual_scale must be finite and >= 0, got " << in.residual_scale);
  LIP_REQUIRE(std::isfinite(in.final_scale),
              "gpt_lipschitz_bound: final_scale must be finite, got " << in.final_scale);
  LIP_REQUIRE(std::isfinite(in.mlp_divisor) && in.mlp_divisor > 0,
              "gpt_lipschitz_bound: mlp_divisor must be finite and > 0, got " << in.mlp_divisor);
  LIP_REQUIRE(!in.tracker_order || in.formula == BoundFormula::reference_code,
              "gpt_lipschitz_bound: tracker_order reproduces the reference code's block order and needs "
              "formula reference_code, got "
                  << formula_name(in.formula) << " (the other formulas run in forward order)");
  for (size_t j = 0; j < in.blocks.size(); ++j) {
    const GptBlockNorms& b = in.blocks[j];
    require_norm(b.q, "q", j);
    require_norm(b.k, "k", j);
    require_norm(b.v, "v", j);
    require_norm(b.w, "w", j);
    require_norm(b.mlp_in, "mlp_in", j);
    require_norm(b.mlp_out, "mlp_out", j);
  }
}

//! Index into `blocks` of the i-th block visited: forward order, or the reference code's tracker
//! order (tracker index 0 is the last block of the forward pass).
size_t visited_block(const GptBoundInput& in, size_t i) {
  return in.tracker_order ? in.blocks.size() - 1 - i : i;
}

Residual residual_of(const GptBoundInput& in) {
  const double n_residuals = 2.0 * double(in.blocks.size());
  // The reference recursions hard-code α = 1/(2L) (residual_scale ignored, §13 item 14).
  const double alpha =
      uses_reference_recursion(in.formula) ? 1.0 / n_residuals : in.residual_scale / n_residuals;
  return {log10_of(std::abs(1.0 - alpha)), log10_of(alpha)};
}

//! log10 of the MLP branch's Lipschitz constant ‖W_out‖·‖W_in‖/divisor (GeLU/divisor is
//! 1-Lipschitz). It is also the factor by which the MLP can grow the activation norm.
double log10_mlp(const GptBlockNorms& b, double log_divisor) {
  return log10_of(b.mlp_out) + log10_of(b.mlp_in) - log_divisor;
}

//! log10 of the factor by which the attention branch can grow the ∞RMS activation norm:
//! ‖W_out‖·‖W_v‖/3 (each softmax row averages values, so ‖A·v‖ ≤ ‖v‖; the architecture divides
//! by 3 before the output projection; PAPER Eq. (24) omits the 1/3, §13 item 15).
double log10_attn_growth(const GptBlockNorms& b) {
  return log10_of(b.w) + log10_of(b.v) - std::log10(3.0);
}

//! log10 of the attention branch's Lipschitz constant given its input activation bound a.
//! The proof of Theorem C.1 gives ‖ΔF‖ ≤ ‖Δv‖ + s·‖v‖·(‖k‖‖Δq‖ + ‖q‖‖Δk‖); with ‖q‖ ≤ Q·a,
//! ‖k‖ ≤ K·a, ‖v‖ ≤ V·a and Δq = W_Q·Δx etc., then ·w/3:
//!   paper:     (1/3)·w·v·(1 + 2·s·a²·q·k)
//!   reference: (1/3)·w·(v + 2·v·a²·q·k)·s   (the whole bracket scaled by s)
double log10_attn_lipschitz(const GptBlockNorms& b, double log_a, double log_s, bool reference) {
  const double log_qk_term = std::log10(2.0) + 2.0 * log_a + log10_of(b.q) + log10_of(b.k);
  if (reference) return log10_attn_growth(b) + log10_sum(0.0, log_qk_term) + log_s;
  return log10_attn_growth(b) + log10_sum(0.0, log_s + log_qk_term);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Stage 1: activation-norm bounds (∞RMS).
// ---------------------------------------------------------------------------------------------

std::vector<double> gpt_activation_log10(const GptBoundInput& in) {
  validate(in);
  const Residual res = residual_of(in);
  const double log_divisor = std::log10(in.mlp_divisor);
  // The embedding output's RMS is at most its max column RMS; the reference code starts at 1.
  std::vector<double> a{uses_reference_recursion(in.formula) ? 0.0 : log10_of(in.embed)};
  a.reserve(2 * in.blocks.size() + 1);
  for (size_t i = 0; i < in.blocks.size(); ++i) {
    const GptBlockNorms& b = in.blocks[visited_block(in, i)];
    // a ← (1−α)·a + α·(w·v/3)·a            (after the attention residual)
    a.push_back(a.back() + res.factor(log10_attn_growth(b)));
    // a ← (1−α)·a + α·(mo·mi/divisor)·a    (after the MLP residual)
    a.push_back(a.back() + res.factor(log10_mlp(b, log_divisor)));
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Stage 2: Lipschitz recursion through the convex residuals.
// ---------------------------------------------------------------------------------------------

LipschitzBound gpt_lipschitz_bound(const GptBoundInput& in, bool with_table) {
  const std::vector<double> a = gpt_activation_log10(in);  // validates `in`
  const Residual res = residual_of(in);
  const bool reference = uses_reference_recursion(in.formula);
  const double log_s = log10_of(in.softmax_scale);
  const double log_divisor = std::log10(in.mlp_divisor);

  LipschitzBound out;
  auto record = [&](std::string name, double value) {
    if (!with_table) return;
    out.stage_names.push_back(std::move(name));
    out.stage_log10.push_back(value);
  };

  double L = log10_of(in.embed);  // ℓ1→RMS constant of the embedding
  record("embed", L);
  for (size_t i = 0; i < in.blocks.size(); ++i) {
    const size_t j = visited_block(in, i);
    const GptBlockNorms& b = in.blocks[j];
    const std::string name = "block" + std::to_string(j);
    // L ← (1−α)·L + α·L·L_att, with a[2i] the bound on this attention's input
    L += res.factor(log10_attn_lipschitz(b, a[2 * i], log_s, reference));
    record(name + ".attn", L);
    // L ← (1−α)·L + α·L·L_mlp
    L += res.factor(log10_mlp(b, log_divisor));
    record(name + ".mlp", L);
  }
  // The head, then the logit multiplier (which the reference code omits, §13 item 14).
  L += log10_of(in.head);
  if (in.formula != BoundFormula::reference_code) L += log10_of(std::abs(in.final_scale));
  record("head", L);
  out.log10_bound = L;
  return out;
}

}  // namespace lip
