#pragma once
/* The transformer's parameter layout, written down once. Parameter (checkpoint) order: embed, then
 * per block in forward order the rows of kGptBlock, then the head (§6.2). The forward pass, the
 * module budget (target norms), the certified bound and the parameter count all read this table.
 */
#include <array>
#include <vector>

#include "model/gpt_bound.hpp"
#include "model/gpt_config.hpp"
#include "model/param_store.hpp"

namespace lip {

//! A block weight's extent: the model width C or the MLP hidden width H.
enum class BlockDim { width, mlp_hidden };

struct GptBlockWeight {
  ParamRole role;
  const char* name;  //!< + tracker index L−1−p: the reference's names (v2, q2, …)
  BlockDim rows, cols;
  bool zero_init;  //!< output projections start at zero when model.zero_init
};

//! One block's weights in parameter order.
inline constexpr std::array<GptBlockWeight, 6> kGptBlock = {{
    {ParamRole::attn_v, "v", BlockDim::width, BlockDim::width, false},
    {ParamRole::attn_q, "q", BlockDim::width, BlockDim::width, false},
    {ParamRole::attn_k, "k", BlockDim::width, BlockDim::width, false},
    {ParamRole::attn_out, "w", BlockDim::width, BlockDim::width, true},
    {ParamRole::mlp_in, "mlp_in", BlockDim::mlp_hidden, BlockDim::width, false},
    {ParamRole::mlp_out, "mlp_out", BlockDim::width, BlockDim::mlp_hidden, true},
}};

//! Position of `role` in kGptBlock (a role that is not a block weight is a programming error).
constexpr size_t gpt_block_slot(ParamRole role) {
  for (size_t j = 0; j < kGptBlock.size(); ++j)
    if (kGptBlock[j].role == role) return j;
  return kGptBlock.size();
}
//! Parameter index of block p's weight of this role; the embedding is 0, the head the last.
constexpr size_t gpt_param_index(size_t block, ParamRole role) {
  return 1 + block * kGptBlock.size() + gpt_block_slot(role);
}

//! Every tensor's ParamInfo (validates the shape parameters of `config`).
std::vector<ParamInfo> gpt_layout(const GptConfig& config);
//! Σ rows·cols over gpt_layout(config).
size_t gpt_parameter_count(const GptConfig& config);
//! Block p's norms picked out of per-tensor norms (parameter order) by role.
GptBlockNorms gpt_block_norms(const std::vector<double>& norms, size_t block);

}  // namespace lip
