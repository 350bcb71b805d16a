#include "model/gpt_block_values.hpp"

#include "core/error.hpp"

namespace lip {

double& GptBlockValues::of(ParamRole role) {
  switch (role) {
    case ParamRole::attn_q: return q;
    case ParamRole::attn_k: return k;
    case ParamRole::attn_v: return v;
    case ParamRole::attn_out: return w;
    case ParamRole::mlp_in: return mlp_in;
    case ParamRole::mlp_out: return mlp_out;
    default: break;
  }
  LIP_FAIL("GptBlockValues: " << role_name(role) << " is not a transformer block weight");
}

}  // namespace lip
