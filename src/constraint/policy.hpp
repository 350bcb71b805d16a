#pragma once
/* Per-tensor constraint policy, resolved once at set-up: every matrix gets the deck's method and a
 * w_max chosen by its role (the attention query/key matrices and the head may have their own).
 * Token tables (embedding, unembedding) keep the method `none`: they are capped by kind (§4.2–4.3).
 */
#include "constraint/method.hpp"
#include "model/param_store.hpp"

namespace lip {

struct ConstraintPolicy {
  ProjectionMethod method = ProjectionMethod::none;
  double w_max = 1;
  double qk_w_max = 0;    //!< roles attn_q, attn_k; 0: w_max
  double head_w_max = 0;  //!< role head; 0: w_max
};

//! The constraint a tensor of this role and kind gets under `policy`.
TensorConstraint constraint_for(const ParamInfo& info, const ConstraintPolicy& policy);

//! Writes constraint_for(info) into every tensor's ParamInfo.
void assign_constraints(ParamStore& params, const ConstraintPolicy& policy);

}  // namespace lip
