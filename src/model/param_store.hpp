#pragma once
/* ParamStore: one parameter slab and one gradient slab with the same layout. Each tensor is a
 * named unmanaged matrix View into its slab (offsets padded to 64 bytes). The ParamInfo table
 * carries everything the optimizer, projector, bound and checkpoint need per tensor; after
 * construction every loop over parameters is flat.
 */
#include <string>
#include <vector>

#include "constraint/method.hpp"
#include "kernels/types.hpp"

namespace lip {

/// How a tensor is dualized and constrained (STYLE: chosen by kind, not by name).
enum class ParamKind {
  matrix,     ///< Linear weight [fan_out, fan_in]: Newton–Schulz dualization, spectral projection
  embedding,  ///< Embedding [D, V], columns = tokens: column-RMS dualization and cap
  unembedding,  ///< Unembedding head [V, D], rows = tokens: row-RMS dualization and cap (§4.3)
};

/// What a tensor is in its model: the policy (optimizer group, per-role w_max) and the model's own
/// code (forward, budget, bound) select tensors by role, never by name.
enum class ParamRole {
  embed,       ///< token embedding
  attn_v,      ///< attention value, query, key and output matrices
  attn_q,
  attn_k,
  attn_out,
  mlp_in,      ///< first Linear of an MLP (block or whole model)
  mlp_hidden,  ///< a middle Linear of the MLP model
  mlp_out,     ///< last Linear of an MLP (block or whole model)
  head,        ///< transformer head (Linear or unembedding)
};
const char* role_name(ParamRole role);
/// The optimizer group (deck section) a role belongs to: embed, head or hidden.
const char* optimizer_group_of(ParamRole role);

/// A tensor's weight constraint, resolved once at set-up (constraint/policy.hpp).
struct TensorConstraint {
  ProjectionMethod method = ProjectionMethod::none;
  double w_max = 1;  ///< cap in RMS→RMS units
};

struct ParamInfo {
  std::string name;
  ParamKind kind = ParamKind::matrix;
  ParamRole role = ParamRole::mlp_hidden;
  size_t rows = 0, cols = 0;  ///< [fan_out, fan_in] for matrices, [D, V] for embeddings, [V, D] for unembeddings
  double target_norm = 1;     ///< T_a from the module budget (ALGORITHMS §5.4–5.5)
  bool zero_init = false;     ///< starts at exactly zero
  bool projected = true;      ///< the projector constrains it after every step
  TensorConstraint constraint;  ///< matrices only: token tables are capped by kind (§4.2, §4.3)
  size_t offset = 0;          ///< filled by ParamStore
  size_t fan_out() const { return rows; }
  size_t fan_in() const { return cols; }
  size_t count() const { return rows * cols; }
  const char* group() const { return optimizer_group_of(role); }
};

/// Fills every info's `offset` in slab order (each tensor starts on a 64-byte boundary) and returns
/// the slab size: the layout ParamStore allocates, for tools that plan without allocating.
size_t assign_slab_offsets(std::vector<ParamInfo>& infos);

class ParamStore {
 public:
  explicit ParamStore(std::vector<ParamInfo> infos);

  size_t num_tensors() const { return infos_.size(); }
  size_t num_parameters() const;  ///< Σ rows·cols (padding excluded)
  size_t slab_size() const { return params_.extent(0); }
  const std::vector<ParamInfo>& infos() const { return infos_; }
  const ParamInfo& info(size_t i) const { return infos_.at(i); }
  size_t index_of(const std::string& name) const;
  /// Set-up only (constraint/policy.hpp): the constraint of tensor i.
  void set_constraint(size_t i, const TensorConstraint& constraint) { infos_.at(i).constraint = constraint; }

  kernels::MatrixView param(size_t i) const { return view_of(params_, i); }
  kernels::MatrixView grad(size_t i) const { return view_of(grads_, i); }
  kernels::Tensor1 params_slab() const { return params_; }
  kernels::Tensor1 grads_slab() const { return grads_; }
  /// A matrix view of tensor i inside any slab with this store's layout (optimizer state).
  kernels::MatrixView view_of(const kernels::Tensor1& slab, size_t i) const;

  void zero_grad() const;

 private:
  std::vector<ParamInfo> infos_;
  kernels::Tensor1 params_, grads_;
};

}  // namespace lip
