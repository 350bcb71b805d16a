#include "constraint/policy.hpp"

namespace lip {

TensorConstraint constraint_for(const ParamInfo& info, const ConstraintPolicy& policy) {
  if (info.kind != ParamKind::matrix) return {};
  double own = 0;
  if (info.role == ParamRole::attn_q || info.role == ParamRole::attn_k) own = policy.qk_w_max;
  if (info.role == ParamRole::head) own = policy.head_w_max;
  return {policy.method, own > 0 ? own : policy.w_max};
}

void assign_constraints(ParamStore& params, const ConstraintPolicy& policy) {
  for (size_t i = 0; i < params.num_tensors(); ++i) params.set_constraint(i, constraint_for(params.info(i), policy));
}

}  // namespace lip
