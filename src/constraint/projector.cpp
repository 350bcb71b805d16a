// Projection of Linear and embedding weights (math in projector.hpp, maps in constraint/registry.cpp).
#include "constraint/projector.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "kernels/elementwise.hpp"
#include "optim/optimizer.hpp"

namespace lip {

ProjectionWorkspace::ProjectionWorkspace(size_t rows_, size_t cols_)
    : rows(rows_), cols(cols_), top(rows_, cols_), ns(std::in_place, rows_, cols_), clip(std::in_place, rows_, cols_) {}

ProjectionWorkspace::ProjectionWorkspace(size_t rows_, size_t cols_, const std::vector<ProjectionMethod>& methods)
    : rows(rows_), cols(cols_), top(rows_, cols_) {
  for (const ProjectionMethod m : methods) {
    const auto& entry = constraint_method(m);
    if (entry.polynomial_scratch && !ns) ns.emplace(rows_, cols_);
    if (entry.clip_scratch && !clip) clip.emplace(rows_, cols_);
  }
}

double projection_soft_cap_alpha(size_t rows, size_t cols, const ProjectionSettings& s, double lr_t,
                                 double target_norm) {
  LIP_REQUIRE(rows > 0 && cols > 0, "projection_soft_cap_alpha: empty weight (" << rows << ", " << cols << ")");
  const double c = std::sqrt(double(rows) / double(cols));
  // η = lr_t·T: RMS→RMS size of this step's (dualized) update
  const double eta = lr_t * target_norm;
  // η' = η·factor (/c in the code, §13 item 5)
  const double update_norm = eta * s.update_norm_factor / (s.divide_update_by_fan_scale ? c : 1.0);
  return kernels::soft_cap_strength(s.w_max, s.weight_decay * eta, update_norm);
}

void project_linear(kernels::MatrixView W, const ProjectionSettings& s, double lr_t, double target_norm,
                    uint64_t step_seed, ProjectionWorkspace& ws) {
  const size_t m = W.extent(0), n = W.extent(1);
  LIP_REQUIRE(ws.rows == m && ws.cols == n, "project_linear: ProjectionWorkspace is for (" << ws.rows << ", " << ws.cols
                                                << "), got W (" << m << ", " << n << ")");
  LIP_REQUIRE(s.w_max > 0, "project_linear: w_max must be > 0, got " << s.w_max);
  const ConstraintMethod& method = constraint_method(s.method);
  if (!method.apply || m == 0 || n == 0) return;
  LIP_REQUIRE(!method.polynomial_scratch || ws.ns, "project_linear: workspace (" << m << ", " << n
                                                       << ") has no polynomial scratch for method '"
                                                       << method.deck_name
                                                       << "'; construct it with that method or without one");
  LIP_REQUIRE(!method.clip_scratch || ws.clip, "project_linear: workspace (" << m << ", " << n
                                                   << ") has no clip scratch for method '" << method.deck_name
                                                   << "'; construct it with that method or without one");

  // c = sqrt(m/n), times w_max for a sensitive method (the soft cap's α uses the plain c)
  double c = std::sqrt(double(m) / double(n));
  if (projection_is_sensitive(s.method, s.sensitive_all)) c *= s.w_max;

  // X = W / c
  kernels::scale("kernels::project_linear_to_normalized", W, kernels::Real(1.0 / c));
  method.apply(W, ConstraintCall{s, lr_t, target_norm, step_seed}, ws);
  // W = c · P(X)
  kernels::scale("kernels::project_linear_from_normalized", W, kernels::Real(c));
}

void project_embedding(kernels::MatrixView E) {
  // Column (token) RMS capped at kTokenRmsCap = 1, never re-inflated (f = 1, §4.2 and §13 item 23).
  kernels::rms_normalize_columns(E, 1.0);
}

// Row (token) RMS capped at kTokenRmsCap = 1 (f = 1, §4.3).
void project_unembedding(kernels::MatrixView U) { kernels::rms_normalize_rows(U, 1.0); }

double enforced_norm_cap(const ParamInfo& info, bool sensitive_all) {
  switch (info.kind) {
    case ParamKind::embedding:
      return kTokenRmsCap;
    case ParamKind::unembedding:
      return double(info.cols) * kTokenRmsCap;  // cols = D
    case ParamKind::matrix:
      break;
  }
  const ProjectionMethod m = info.constraint.method;
  // A unit-target method reaches w_max only through the sensitive scaling (project_linear's c).
  const bool unit_cap = constraint_method(m).unit_target && !projection_is_sensitive(m, sensitive_all);
  return unit_cap ? 1.0 : info.constraint.w_max;
}

double rms_to_rms_norm(kernels::MatrixView W, uint64_t seed, ProjectionWorkspace& ws, int iterations) {
  const size_t m = W.extent(0), n = W.extent(1);
  LIP_REQUIRE(ws.rows == m && ws.cols == n, "rms_to_rms_norm: ProjectionWorkspace is for (" << ws.rows << ", "
                                                << ws.cols << "), got W (" << m << ", " << n << ")");
  if (m == 0 || n == 0) return 0.0;
  // ‖W‖_{RMS→RMS} = sqrt(n/m)·σ1
  return std::sqrt(double(n) / double(m)) * kernels::power_iterate(ws.top, W, seed, iterations);
}

Projector::Projector(const ParamStore& params, const ProjectionSettings& shared) {
  std::map<std::pair<size_t, size_t>, std::vector<ProjectionMethod>> methods_at_shape;
  for (const auto& info : params.infos()) {
    ProjectionSettings s = shared;
    s.method = info.constraint.method;
    s.w_max = info.constraint.w_max;
    settings_.push_back(s);
    methods_at_shape[{info.rows, info.cols}].push_back(info.kind == ParamKind::matrix ? s.method
                                                                                      : ProjectionMethod::none);
  }
  for (const auto& [shape, methods] : methods_at_shape)
    workspaces_[shape] = std::make_unique<ProjectionWorkspace>(shape.first, shape.second, methods);
  for (const auto& info : params.infos()) workspace_of_.push_back(workspaces_.at({info.rows, info.cols}).get());
}

Projector::~Projector() = default;

void Projector::apply(const ParamStore& params, const Optimizer& optimizer, double schedule_factor,
                      uint64_t step_seed) {
  const ShardPlan& shard = optimizer.shard();  // the tensors this rank updated
  for (size_t i = shard.begin(); i < shard.end(); ++i) {
    const auto& info = params.info(i);
    if (!info.projected) continue;  // e.g. NanoGPT's embedding, capped at lookup instead
    switch (info.kind) {
      case ParamKind::embedding:
        project_embedding(params.param(i));
        break;
      case ParamKind::unembedding:
        project_unembedding(params.param(i));
        break;
      case ParamKind::matrix:
        project_linear(params.param(i), settings_[i], optimizer.lr(i, schedule_factor), info.target_norm, step_seed,
                       *workspace_of_[i]);
        break;
    }
  }
}

}  // namespace lip
