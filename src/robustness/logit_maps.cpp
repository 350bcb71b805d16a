#include "robustness/logit_maps.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "model/exact_norms.hpp"
#include "model/gpt_bound.hpp"

namespace lip {

namespace k = kernels;

// ---------------------------------------------------------------------------------------------
// MLP
// ---------------------------------------------------------------------------------------------

MlpLogitMap::MlpLogitMap(Mlp& mlp)
    : mlp_(mlp),
      log10_upper_(mlp.certified_bound(exact_norms(mlp.params())).log10_bound),
      targets_("MlpLogitMap::targets", mlp.config().max_batch) {}

double MlpLogitMap::domain_radius() const { return std::numeric_limits<double>::infinity(); }

void MlpLogitMap::evaluate(const k::MatrixView& logits, const k::MatrixView& x) {
  Batch batch;
  batch.size = x.extent(0);
  batch.inputs = k::Tensor2(x.data(), x.extent(0), x.extent(1));
  batch.targets = targets_;
  mlp_.forward(batch);
  Kokkos::deep_copy(logits, mlp_.logits());
}

void MlpLogitMap::vjp(const k::MatrixView& d_x, const k::MatrixView& u) { mlp_.logits_vjp(d_x, u); }

void MlpLogitMap::jvp(const k::MatrixView& t, const k::MatrixView& v) { mlp_.logits_jvp(t, v); }

// ---------------------------------------------------------------------------------------------
// Transformer, from its embedding output
// ---------------------------------------------------------------------------------------------

GptLogitMap::GptLogitMap(Gpt& gpt) : gpt_(gpt) {
  // The recursion bounds the branches of an un-normalized residual stream; a pre-norm x/RMS(x) has
  // no Lipschitz constant near 0, so no certificate exists with one.
  LIP_REQUIRE(gpt.config().norm == NormKind::none,
              "GptLogitMap: the certified bound holds for model.norm none only (a pre-norm is not Lipschitz)");
  GptBoundInput in = gpt.bound_input(exact_norms(gpt.params()));
  in.formula = BoundFormula::paper;  // the valid recursion, activation bounds from a₀ = embed
  in.tracker_order = false;
  embed_norm_ = in.embed;
  LIP_REQUIRE(embed_norm_ > 0, "GptLogitMap: the embedding is zero; its outputs span no domain");
  log10_upper_ = gpt_lipschitz_bound(in).log10_bound - std::log10(embed_norm_);
}

k::Tensor3 GptLogitMap::sequences(const k::MatrixView& m) const {
  const size_t T = gpt_.config().seq_len;
  return k::Tensor3(m.data(), m.extent(0) / T, T, m.extent(1));
}

void GptLogitMap::evaluate(const k::MatrixView& logits, const k::MatrixView& x) {
  gpt_.forward_embedded(sequences(x), k::IndexTensor1());
  Kokkos::deep_copy(logits, gpt_.logits());
}

void GptLogitMap::vjp(const k::MatrixView& d_x, const k::MatrixView& u) { gpt_.logits_vjp(sequences(d_x), u); }

}  // namespace lip
