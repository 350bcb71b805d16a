#include "optim/optimizer.hpp"

#include <cmath>

#include "core/error.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/newton_schulz.hpp"
#include "kernels/optimizer_updates.hpp"
#include "kernels/spectral.hpp"

namespace lip {

OptimizerKind parse_optimizer_kind(const std::string& name) {
  if (name == "muon") return OptimizerKind::muon;
  if (name == "adamw" || name == "adam") return OptimizerKind::adamw;
  if (name == "sgd") return OptimizerKind::sgd;
  LIP_FAIL("unknown optimizer '" << name << "'; expected muon, adamw (alias adam) or sgd");
}

// Newton–Schulz scratch, one per distinct matrix shape (allocated once).
struct Optimizer::Workspaces {
  std::map<std::pair<size_t, size_t>, std::unique_ptr<kernels::NsWorkspace>> ns;
  kernels::NsWorkspace& for_shape(size_t rows, size_t cols) {
    auto& slot = ns[{rows, cols}];
    if (!slot) slot = std::make_unique<kernels::NsWorkspace>(rows, cols);
    return *slot;
  }
};

OptimizerSlabs optimizer_slabs(const std::vector<ParamInfo>& infos,
                               const std::map<std::string, OptimizerGroup>& groups) {
  OptimizerSlabs slabs;
  for (const auto& info : infos) {
    const auto it = groups.find(info.group());
    if (it == groups.end()) continue;  // the optimizer reports it
    slabs.second_moment |= it->second.kind == OptimizerKind::adamw;
    // only Muon blends (SGD uses its buffer)
    slabs.nesterov_blend |= it->second.kind == OptimizerKind::muon && it->second.nesterov;
  }
  return slabs;
}

Optimizer::Optimizer(const ParamStore& params, std::map<std::string, OptimizerGroup> groups)
    : Optimizer(params, std::move(groups), ShardPlan::replicated(params)) {}

Optimizer::Optimizer(const ParamStore& params, std::map<std::string, OptimizerGroup> groups, ShardPlan shard)
    : shard_(std::move(shard)), groups_(std::move(groups)), workspaces_(std::make_unique<Workspaces>()) {
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const auto& info = params.info(i);
    auto it = groups_.find(info.group());
    LIP_REQUIRE(it != groups_.end(), "parameter " << info.name << " belongs to optimizer group '" << info.group()
                                                  << "', which the deck does not configure");
    group_of_.push_back(&it->second);
    const auto& g = it->second;
    const bool orthogonalized = g.kind == OptimizerKind::muon && info.kind == ParamKind::matrix;
    ns_table_of_.push_back(orthogonalized ? &kernels::ns_table(g.ns_table) : nullptr);  // validates the name now
    if (orthogonalized && shard_.owns(i)) workspaces_->for_shape(info.rows, info.cols);
  }
  slabs_ = optimizer_slabs(params.infos(), groups_);
  const size_t n = shard_.segment_size();
  first_ = kernels::Tensor1("Optimizer::first_moment", n);
  if (slabs_.second_moment) second_ = kernels::Tensor1("Optimizer::second_moment", n);
  direction_ = kernels::Tensor1("Optimizer::direction", n);
  if (slabs_.nesterov_blend) blend_ = kernels::Tensor1("Optimizer::nesterov_blend", n);
}

Optimizer::~Optimizer() = default;

const OptimizerGroup& Optimizer::group_of(size_t i) const { return *group_of_.at(i); }

double Optimizer::lr(size_t i, double schedule_factor) const { return group_of(i).lr * schedule_factor; }

kernels::MatrixView Optimizer::state_view(const kernels::Tensor1& slab, const ParamStore& params, size_t i) const {
  const auto& info = params.info(i);
  LIP_REQUIRE(shard_.owns(i), "optimizer state of " << info.name << " lives on another rank");
  return kernels::MatrixView(slab.data() + (info.offset - shard_.segment_begin()), info.rows, info.cols);
}

std::vector<std::pair<std::string, kernels::Tensor1>> Optimizer::state_slabs() const {
  std::vector<std::pair<std::string, kernels::Tensor1>> state = {{"first_moment", first_}};
  if (slabs_.second_moment) state.emplace_back("second_moment", second_);
  return state;
}

size_t Optimizer::state_bytes() const {
  size_t bytes = 0;
  for (const auto& slab : {first_, second_, direction_, blend_}) bytes += slab.extent(0) * sizeof(kernels::Real);
  for (const auto& [shape, ws] : workspaces_->ns)  // x, x_next (rows, cols); gram, poly (s, s)
    for (const auto* t : {&ws->x, &ws->x_next, &ws->gram, &ws->poly}) bytes += t->span() * sizeof(kernels::Real);
  return bytes;
}

void Optimizer::dualize(const ParamStore& params, size_t i, const kernels::MatrixView& out,
                        const kernels::MatrixView& in) const {
  const auto& info = params.info(i);
  const auto& g = group_of(i);
  if (info.kind == ParamKind::matrix) {
    // D = NS(M) · sqrt(fan_out/fan_in) · T: RMS→RMS norm of D is ≈ T (≤ 0.99934·T for reference6).
    kernels::newton_schulz(out, in, workspaces_->for_shape(info.rows, info.cols), *ns_table_of_[i]);
    kernels::scale("kernels::muon_dualize_scale", out,
                   kernels::Real(std::sqrt(double(info.rows) / double(info.cols)) * info.target_norm));
  } else {
    // Embedding (ℓ1→RMS duality map, §4.2) and unembedding (§4.3): every token's slice (a column
    // of the embedding, a row of the unembedding) normalized to RMS 1, inflated at most by
    // `embed_inflation`, times T.
    Kokkos::deep_copy(out, in);
    if (info.kind == ParamKind::embedding)
      kernels::rms_normalize_columns(out, g.embed_inflation);
    else
      kernels::rms_normalize_rows(out, g.embed_inflation);
    kernels::scale("kernels::muon_dualize_scale", out, kernels::Real(info.target_norm));
  }
}

void Optimizer::step(const ParamStore& params, double schedule_factor, long step) {
  compute_directions(params, step);
  apply_directions(params, schedule_factor);
}

void Optimizer::compute_directions(const ParamStore& params, long step) {
  for (size_t i = shard_.begin(); i < shard_.end(); ++i) {
    const auto& g = group_of(i);
    const auto G = params.grad(i);
    const auto buf = state_view(first_, params, i), D = state_view(direction_, params, i);
    double beta1 = g.beta1;
    if (g.momentum_warmup_start >= 0 && g.momentum_warmup_steps > 0) {
      const double frac = std::min(1.0, double(step) / double(g.momentum_warmup_steps));
      beta1 = (1 - frac) * g.momentum_warmup_start + frac * g.beta1;
    }
    switch (g.kind) {
      case OptimizerKind::muon: {
        // 1. momentum (EMA; Nesterov optional)
        kernels::ema_momentum(buf, G, kernels::Real(beta1));
        kernels::MatrixView source = buf;
        if (g.nesterov) {
          source = state_view(blend_, params, i);
          kernels::nesterov_blend(source, buf, G, kernels::Real(beta1));
        }
        // 2. dualize
        dualize(params, i, D, source);
        break;
      }
      case OptimizerKind::adamw: {
        // 1.+2. Adam direction m / (sqrt(v) + eps); the reference does not scale it by T.
        kernels::adam_direction(D, buf, state_view(second_, params, i), G, kernels::Real(beta1), kernels::Real(g.beta2),
                                kernels::Real(g.eps));
        if (g.bias_correction) {
          // d = m̂/(sqrt(v̂) + eps) with m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), t = step + 1
          const double t = double(step + 1);
          const double c1 = 1 - std::pow(beta1, t), c2 = 1 - std::pow(g.beta2, t);
          kernels::adam_corrected_direction(D, buf, state_view(second_, params, i), kernels::Real(1 / c1),
                                            kernels::Real(1 / c2), kernels::Real(g.eps));
        }
        break;
      }
      case OptimizerKind::sgd: {
        if (beta1 > 0) {
          kernels::ema_momentum(buf, G, kernels::Real(beta1));
          Kokkos::deep_copy(D, buf);
        } else {
          Kokkos::deep_copy(D, G);
        }
        break;
      }
    }
  }
}

void Optimizer::apply_directions(const ParamStore& params, double schedule_factor) {
  for (size_t i = shard_.begin(); i < shard_.end(); ++i) {
    const auto& g = group_of(i);
    const double lr_t = g.lr * schedule_factor;
    // 3. decay and step: w ← (1 − wd·lr_t·T)·w − lr_t·D
    const double decay = g.weight_decay * lr_t * params.info(i).target_norm;
    kernels::decay_and_step(params.param(i), state_view(direction_, params, i), kernels::Real(decay),
                            kernels::Real(lr_t));
  }
}

}  // namespace lip
