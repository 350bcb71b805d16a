#pragma once
// One number per weight of a transformer block, by name and by role: the block's target norms
// (model/module_budget.hpp) and its measured norms in the bound (model/gpt_bound.hpp).
#include "model/param_store.hpp"

namespace lip {

struct GptBlockValues {
  double q = 0, k = 0, v = 0;  // attention query, key, value
  double w = 0;                // attention output projection
  double mlp_in = 0;           // MLP first layer (fan_out = 4C in NanoGPT)
  double mlp_out = 0;          // MLP second layer
  //! The value of the block weight with this role (model/gpt_layout.hpp's table).
  double& of(ParamRole role);
  double of(ParamRole role) const { return const_cast<GptBlockValues*>(this)->of(role); }
};

}  // namespace lip
