#pragma once
// The weight-constraint methods (ALGORITHMS §2.3, §2.7) as an enum: what a tensor's policy names.
// Deck names, scratch needs and the maps themselves live in one registry (constraint/registry.hpp).

namespace lip {

enum class ProjectionMethod {
  none,
  spectral_weight_decay,
  spectral_normalize,
  orthogonal,
  spectral_hammer,
  soft_cap,
  hard_cap,
  spectral_clip,
  clipped_weight_decay,
  pure_svd
};

}  // namespace lip
