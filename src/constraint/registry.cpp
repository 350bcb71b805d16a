// The constraint registry: one entry per method (contracts of the maps in kernels/spectral.hpp).
#include "constraint/registry.hpp"

#include "constraint/projector.hpp"
#include "core/edit_distance.hpp"
#include "core/error.hpp"

namespace lip {

namespace {

namespace k = kernels;

void spectral_weight_decay(k::MatrixView X, const ConstraintCall& c, ProjectionWorkspace& ws) {
  k::spectral_weight_decay(X, c.settings.spectral_wd, ws.top, c.step_seed, c.settings.power_iterations);
}
void spectral_normalize(k::MatrixView X, const ConstraintCall& c, ProjectionWorkspace& ws) {
  k::spectral_normalize(X, ws.top, c.step_seed, c.settings.power_iterations);
}
void orthogonal(k::MatrixView X, const ConstraintCall&, ProjectionWorkspace& ws) { k::orthogonalize(X, *ws.ns); }
void spectral_hammer(k::MatrixView X, const ConstraintCall& c, ProjectionWorkspace& ws) {
  k::spectral_hammer(X, c.settings.w_max, ws.top, c.step_seed, c.settings.power_iterations);
}
void soft_cap(k::MatrixView X, const ConstraintCall& c, ProjectionWorkspace& ws) {
  // X has W's shape: α from the fan scale of W, as in the code (never sensitive)
  k::soft_cap(X, projection_soft_cap_alpha(X.extent(0), X.extent(1), c.settings, c.lr_t, c.target_norm), *ws.ns);
}
void hard_cap(k::MatrixView X, const ConstraintCall&, ProjectionWorkspace& ws) { k::hard_cap(X, *ws.ns); }
void spectral_clip(k::MatrixView X, const ConstraintCall& c, ProjectionWorkspace& ws) {
  k::spectral_clip(X, c.settings.clip_min, c.settings.w_max, *ws.clip);
}
void clipped_weight_decay(k::MatrixView X, const ConstraintCall& c, ProjectionWorkspace& ws) {
  k::spectral_clipped_weight_decay(X, c.settings.w_max, c.settings.clipped_wd_lambda, *ws.clip);
}
void pure_svd(k::MatrixView X, const ConstraintCall& c, ProjectionWorkspace&) {
  k::pure_svd_clip(X, c.settings.clip_min, c.settings.w_max);
}

}  // namespace

const std::vector<ConstraintMethod>& constraint_methods() {
  using M = ProjectionMethod;
  //                 method                    deck name         summary                                               poly   clip   unit   cap
  // `cap` (guarantees_cap): σ ≤ cap after every projection whatever the update, measured by exact SVD in
  // tests/test_target_bound.cpp. orthogonal: the reference6 composite never exceeds 0.999335; spectral_clip
  // and pure_svd: exact clips up to float rounding. The others are not: spec_normalize and spec_hammer use a
  // power-iteration σ1 (a lower estimate), hard_cap peaks at 1.0109, soft_cap holds only for updates of norm
  // ≤ η in its coupling range, clipped_wd converges to the cap only in equilibrium, none and spec_wd cap nothing.
  static const std::vector<ConstraintMethod> table = {
      {M::none, "none", "no projection (plain weight decay lives in the optimizer)", false, false, false, false, nullptr},
      {M::spectral_weight_decay, "spec_wd", "top singular value x (1 - spectral_wd)", false, false, false, false,
       spectral_weight_decay},
      {M::spectral_normalize, "spec_normalize", "X / max(1, sigma1)", false, false, true, false, spectral_normalize},
      {M::orthogonal, "orthogonal", "Stiefel projection NS(X), reference6 table", true, false, true, true, orthogonal},
      {M::spectral_hammer, "spec_hammer", "top singular value set to w_max", false, false, false, false, spectral_hammer},
      {M::soft_cap, "soft_cap", "p2(p1(X)) with the strength coupled to the learning rate", true, false, false, false,
       soft_cap},
      {M::hard_cap, "hard_cap", "4-step polynomial ~ min(1, sigma)", true, false, true, false, hard_cap},
      {M::spectral_clip, "spectral_clip", "exact (msign) clip of singular values to [clip_min, w_max]", false, true,
       false, true, spectral_clip},
      {M::clipped_weight_decay, "clipped_wd", "(1 - lambda) X + lambda hardcap_{w_max}(X)", false, true, false, false,
       clipped_weight_decay},
      {M::pure_svd, "pure_svd", "host LAPACK SVD clip to [clip_min, w_max] (not for the GPU hot path)", false, false,
       false, true, pure_svd},
  };
  return table;
}

const ConstraintMethod& constraint_method(ProjectionMethod method) {
  for (const auto& e : constraint_methods())
    if (e.method == method) return e;
  LIP_FAIL("constraint_method: invalid ProjectionMethod value " << int(method));
}

const ConstraintMethod& constraint_method(const std::string& deck_name) {
  for (const auto& e : constraint_methods())
    if (deck_name == e.deck_name) return e;
  std::string valid;
  for (const auto& name : constraint_method_names()) valid += (valid.empty() ? "" : ", ") + name;
  LIP_FAIL("unknown projection method '" << deck_name << "'; valid methods: " << valid << "; did you mean '"
                                         << closest_name(deck_name, constraint_method_names()) << "'?");
}

std::vector<std::string> constraint_method_names() {
  std::vector<std::string> names;
  for (const auto& e : constraint_methods()) names.push_back(e.deck_name);
  return names;
}

std::vector<std::string> cap_guaranteeing_method_names() {
  std::vector<std::string> names;
  for (const auto& e : constraint_methods())
    if (e.guarantees_cap) names.push_back(e.deck_name);
  return names;
}

}  // namespace lip
