#pragma once
/* Weight projection ("project" step, ALGORITHMS §2): the generic wrapper that puts a Linear weight
 * W (m, n) = (fan_out, fan_in) into the normalized space, and the Projector that applies every
 * tensor's policy after each optimizer step.
 *
 *   c     = sqrt(m/n)                                     fan scale, §0
 *   η     = lr_t · target_norm                            RMS→RMS size of this step's update
 *   η'    = η · update_norm_factor / (c if divide_update_by_fan_scale)   (§13 item 5: the code divides)
 *   α     = soft_cap_strength(w_max, weight_decay·η, η')  (only the soft cap uses it)
 *   if sensitive: c ← c · w_max                           (AFTER α, as in the code)
 *   W     ← c · P(W / c)
 *
 * Sensitivity (§2.2, §13 items 1–2). Methods whose natural target is 1 (hard_cap, orthogonal,
 * spec_normalize) are "sensitive": with sensitive_all = true (default, paper semantics, and the
 * MLP code) they constrain to RMS→RMS norm w_max. sensitive_all = false reproduces the GPT code,
 * which never forwards the flag: those methods then constrain to RMS→RMS norm 1 whatever w_max.
 * Every other method takes w_max (or its own parameters) explicitly and is never sensitive.
 *
 * The maps P and their scratch needs are listed once, in constraint/registry.hpp.
 * Embeddings ignore the method: project_embedding caps every column's RMS at 1 (§4.2), and
 * project_unembedding every row's of an unembedding head (§4.3).
 */
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "constraint/registry.hpp"
#include "kernels/spectral.hpp"
#include "model/param_store.hpp"

namespace lip {

class Optimizer;

//! Projection settings of one weight. `method` and `w_max` come from the tensor's policy
//! (ParamInfo::constraint); the rest from the deck section `constraint.`, shared by all tensors.
struct ProjectionSettings {
  ProjectionMethod method = ProjectionMethod::none;
  double w_max = 1.0;                     // cap in RMS→RMS units
  double weight_decay = 0.0;              // wd: coupled decay λη = wd·lr_t·target_norm (soft-cap coupling)
  double spectral_wd = 0.0;               // spec_wd strength (not coupled to lr, §2.3 item 7)
  int power_iterations = 16;              // §3
  bool sensitive_all = true;              // §13 item 1: w_max for every model; false = GPT code
  bool divide_update_by_fan_scale = true; // §13 item 5: code parity (η/c in the soft-cap coupling)
  double update_norm_factor = 1.0;        // NanoGPT: 1.14502·1.05 (NS composite sup × margin)
  double clip_min = 0.0;                  // lower clip for spectral_clip / pure_svd
  double clipped_wd_lambda = 0.0;         // λ of clipped_wd (per call, not coupled to lr)
};

//! Scratch for projecting one weight shape; allocated once per distinct (rows, cols).
struct ProjectionWorkspace {
  //! Scratch for every method (the exact clip needs 3 extra (rows, cols) matrices).
  ProjectionWorkspace(size_t rows, size_t cols);
  //! Scratch for `methods` only (plus the power-iteration vectors used by rms_to_rms_norm).
  ProjectionWorkspace(size_t rows, size_t cols, const std::vector<ProjectionMethod>& methods);
  ProjectionWorkspace(size_t rows, size_t cols, ProjectionMethod method)
      : ProjectionWorkspace(rows, cols, std::vector<ProjectionMethod>{method}) {}
  size_t rows, cols;
  kernels::SingularTriple top;                 // (rows), (cols) power iteration; always allocated
                                               // (small, and rms_to_rms_norm uses it)
  std::optional<kernels::NsWorkspace> ns;      // polynomial methods (registry: polynomial_scratch)
  std::optional<kernels::ClipWorkspace> clip;  // exact clips (registry: clip_scratch)
};

//! Soft-cap α that project_linear uses for this weight and step (§2.2, §2.4).
double projection_soft_cap_alpha(size_t rows, size_t cols, const ProjectionSettings& settings, double lr_t,
                                 double target_norm);

//! W ← c·P(W/c) for a Linear weight W (fan_out, fan_in) after the optimizer step (§2.2).
//! `step_seed` seeds the power iteration (shared by all weights of a step, §3).
void project_linear(kernels::MatrixView W, const ProjectionSettings& settings, double lr_t, double target_norm,
                    uint64_t step_seed, ProjectionWorkspace& ws);

//! RMS cap of every token's column (embedding) or row (unembedding) after each step (§4.2, §4.3):
//! what rms_normalize_columns / _rows with f = 1 leave.
constexpr double kTokenRmsCap = 1.0;

//! Embedding projection: every column (token) of E (D, V) has its RMS capped at kTokenRmsCap (§4.2).
void project_embedding(kernels::MatrixView E);
//! Unembedding [V, D]: every row's (token's) RMS capped at kTokenRmsCap, never re-inflated (§4.3).
void project_unembedding(kernels::MatrixView U);

//! The largest norm (in the units the certified bound reads) that the projection leaves tensor
//! `info` with after every step, when its method guarantees its cap (registry: guarantees_cap):
//!   matrix       RMS→RMS ≤ w_max (sensitive or explicit-w_max methods), or 1 for a unit-target
//!                method without sensitive semantics (§2.2)
//!   embedding    max column RMS ≤ kTokenRmsCap
//!   unembedding  RMS→RMS = √(D/V)·σ₁ ≤ √(D/V)·‖U‖_F ≤ √(D/V)·√V·√D·kTokenRmsCap = D·kTokenRmsCap
//! The caller checks the guarantee; this only reads the policy.
double enforced_norm_cap(const ParamInfo& info, bool sensitive_all);

//! ‖W‖_{RMS→RMS} = sqrt(n/m)·σ1 with σ1 from `iterations` power iterations (a lower estimate;
//! converged when σ2/σ1 is not close to 1). Used by metrics and the Lipschitz bound.
double rms_to_rms_norm(kernels::MatrixView W, uint64_t seed, ProjectionWorkspace& ws, int iterations = 16);

//! The projection step of every tensor by its policy, with one workspace per distinct shape that
//! holds the scratch of the methods used at that shape (allocated here, once).
class Projector {
 public:
  //! `shared`: the deck's constraint settings; each tensor's method and w_max replace its own.
  Projector(const ParamStore& params, const ProjectionSettings& shared);
  ~Projector();

  //! Project every tensor the optimizer updated on this rank (all of them unless it is sharded)
  //! after its step: token tables by kind (§4.2, §4.3, unless not `projected`), matrices by
  //! project_linear with the tensor's learning rate this step.
  void apply(const ParamStore& params, const Optimizer& optimizer, double schedule_factor, uint64_t step_seed);

  const ProjectionSettings& settings(size_t i) const { return settings_.at(i); }
  //! The workspace of tensor i's shape (also the power-iteration scratch of the norm metrics).
  ProjectionWorkspace& workspace(size_t i) const { return *workspace_of_.at(i); }

 private:
  std::vector<ProjectionSettings> settings_;
  std::map<std::pair<size_t, size_t>, std::unique_ptr<ProjectionWorkspace>> workspaces_;
  std::vector<ProjectionWorkspace*> workspace_of_;
};

}  // namespace lip
