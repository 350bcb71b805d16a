#include "model/param_store.hpp"

#include "core/error.hpp"

namespace lip {

namespace {
constexpr size_t kAlignReals = 64 / sizeof(kernels::Real);
size_t padded(size_t n) { return (n + kAlignReals - 1) / kAlignReals * kAlignReals; }
}  // namespace

const char* role_name(ParamRole role) {
  // in enum order
  static constexpr const char* names[] = {"embed",  "attn_v",     "attn_q",  "attn_k", "attn_out",
                                          "mlp_in", "mlp_hidden", "mlp_out", "head"};
  static_assert(sizeof(names) / sizeof(names[0]) == size_t(ParamRole::head) + 1, "one name per role");
  return names[size_t(role)];
}

const char* optimizer_group_of(ParamRole role) {
  switch (role) {
    case ParamRole::embed: return "embed";
    case ParamRole::head: return "head";
    default: return "hidden";
  }
}

size_t assign_slab_offsets(std::vector<ParamInfo>& infos) {
  size_t offset = 0;
  for (auto& p : infos) {
    LIP_REQUIRE(p.rows > 0 && p.cols > 0, "parameter " << p.name << " has an empty shape (" << p.rows << ", " << p.cols << ")");
    p.offset = offset;
    offset += padded(p.count());
  }
  return offset;
}

ParamStore::ParamStore(std::vector<ParamInfo> infos) : infos_(std::move(infos)) {
  const size_t offset = assign_slab_offsets(infos_);
  params_ = kernels::Tensor1("ParamStore::params", offset);
  grads_ = kernels::Tensor1("ParamStore::grads", offset);
}

size_t ParamStore::num_parameters() const {
  size_t n = 0;
  for (const auto& p : infos_) n += p.count();
  return n;
}

size_t ParamStore::index_of(const std::string& name) const {
  for (size_t i = 0; i < infos_.size(); ++i)
    if (infos_[i].name == name) return i;
  LIP_FAIL("no parameter named '" << name << "'");
}

kernels::MatrixView ParamStore::view_of(const kernels::Tensor1& slab, size_t i) const {
  const auto& p = infos_.at(i);
  LIP_REQUIRE(slab.extent(0) == params_.extent(0),
              "slab of " << slab.extent(0) << " entries does not have the parameter layout (" << params_.extent(0) << ")");
  return kernels::MatrixView(slab.data() + p.offset, p.rows, p.cols);
}

void ParamStore::zero_grad() const { Kokkos::deep_copy(grads_, kernels::Real(0)); }

}  // namespace lip
