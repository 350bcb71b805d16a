// Projection of Linear and embedding weights (math in projector.hpp, maps in kernels/spectral.hpp).
#include "constraint/projector.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "kernels/elementwise.hpp"

namespace lip {

namespace {

struct MethodName {
  ProjectionMethod method;
  std::string name;
};

const std::vector<MethodName>& method_table() {
  static const std::vector<MethodName> table = {
      {ProjectionMethod::none, "none"},
      {ProjectionMethod::spectral_weight_decay, "spec_wd"},
      {ProjectionMethod::spectral_normalize, "spec_normalize"},
      {ProjectionMethod::orthogonal, "orthogonal"},
      {ProjectionMethod::spectral_hammer, "spec_hammer"},
      {ProjectionMethod::soft_cap, "soft_cap"},
      {ProjectionMethod::hard_cap, "hard_cap"},
      {ProjectionMethod::spectral_clip, "spectral_clip"},
      {ProjectionMethod::clipped_weight_decay, "clipped_wd"},
      {ProjectionMethod::pure_svd, "pure_svd"},
  };
  return table;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

bool needs_polynomial(ProjectionMethod m) {
  return m == ProjectionMethod::orthogonal || m == ProjectionMethod::hard_cap || m == ProjectionMethod::soft_cap;
}
bool needs_clip(ProjectionMethod m) {
  return m == ProjectionMethod::spectral_clip || m == ProjectionMethod::clipped_weight_decay;
}

}  // namespace

const std::vector<std::string>& projection_method_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& e : method_table()) n.push_back(e.name);
    return n;
  }();
  return names;
}

ProjectionMethod parse_projection_method(const std::string& name) {
  for (const auto& e : method_table())
    if (e.name == name) return e.method;
  std::string valid, closest;
  size_t best = std::string::npos;
  for (const auto& e : method_table()) {
    valid += (valid.empty() ? "" : ", ") + e.name;
    const size_t d = edit_distance(name, e.name);
    if (d < best) best = d, closest = e.name;
  }
  LIP_FAIL("unknown projection method '" << name << "'; valid methods: " << valid << "; did you mean '" << closest
                                         << "'?");
}

const std::string& projection_method_name(ProjectionMethod method) {
  for (const auto& e : method_table())
    if (e.method == method) return e.name;
  LIP_FAIL("projection_method_name: invalid ProjectionMethod value " << int(method));
}

bool projection_is_sensitive(ProjectionMethod method, bool sensitive_all) {
  // §2.2: the factory sets sensitive = (method ∈ {hard_cap, orthogonal, spec_normalize}); the GPT
  // builder never forwards it (sensitive_all = false reproduces that).
  const bool unit_target = method == ProjectionMethod::hard_cap || method == ProjectionMethod::orthogonal ||
                           method == ProjectionMethod::spectral_normalize;
  return sensitive_all && unit_target;
}

ProjectionWorkspace::ProjectionWorkspace(size_t rows_, size_t cols_)
    : rows(rows_), cols(cols_), top(rows_, cols_), ns(std::in_place, rows_, cols_), clip(std::in_place, rows_, cols_) {}

ProjectionWorkspace::ProjectionWorkspace(size_t rows_, size_t cols_, ProjectionMethod method)
    : rows(rows_), cols(cols_), top(rows_, cols_) {
  if (needs_polynomial(method)) ns.emplace(rows_, cols_);
  if (needs_clip(method)) clip.emplace(rows_, cols_);
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
  if (s.method == ProjectionMethod::none || m == 0 || n == 0) return;
  const std::string& name = projection_method_name(s.method);
  LIP_REQUIRE(!needs_polynomial(s.method) || ws.ns, "project_linear: workspace (" << m << ", " << n
                                                        << ") has no polynomial scratch for method '" << name
                                                        << "'; construct it with that method or without one");
  LIP_REQUIRE(!needs_clip(s.method) || ws.clip, "project_linear: workspace (" << m << ", " << n
                                                    << ") has no clip scratch for method '" << name
                                                    << "'; construct it with that method or without one");

  // c = sqrt(m/n); α from the coupling BEFORE the sensitive scaling (as in the code)
  double c = std::sqrt(double(m) / double(n));
  const double alpha =
      s.method == ProjectionMethod::soft_cap ? projection_soft_cap_alpha(m, n, s, lr_t, target_norm) : 0.0;
  if (projection_is_sensitive(s.method, s.sensitive_all)) c *= s.w_max;

  // X = W / c
  kernels::scale("kernels::project_linear_to_normalized", W, kernels::Real(1.0 / c));
  switch (s.method) {
    case ProjectionMethod::none:
      break;
    case ProjectionMethod::spectral_weight_decay:
      kernels::spectral_weight_decay(W, s.spectral_wd, ws.top, step_seed, s.power_iterations);
      break;
    case ProjectionMethod::spectral_normalize:
      kernels::spectral_normalize(W, ws.top, step_seed, s.power_iterations);
      break;
    case ProjectionMethod::orthogonal:
      kernels::orthogonalize(W, *ws.ns);
      break;
    case ProjectionMethod::spectral_hammer:
      kernels::spectral_hammer(W, s.w_max, ws.top, step_seed, s.power_iterations);
      break;
    case ProjectionMethod::soft_cap:
      kernels::soft_cap(W, alpha, *ws.ns);
      break;
    case ProjectionMethod::hard_cap:
      kernels::hard_cap(W, *ws.ns);
      break;
    case ProjectionMethod::spectral_clip:
      kernels::spectral_clip(W, s.clip_min, s.w_max, *ws.clip);
      break;
    case ProjectionMethod::clipped_weight_decay:
      kernels::spectral_clipped_weight_decay(W, s.w_max, s.clipped_wd_lambda, *ws.clip);
      break;
    case ProjectionMethod::pure_svd:
      kernels::pure_svd_clip(W, s.clip_min, s.w_max);
      break;
  }
  // W = c · P(X)
  kernels::scale("kernels::project_linear_from_normalized", W, kernels::Real(c));
}

void project_embedding(kernels::MatrixView E) {
  // Column (token) RMS capped at 1, never re-inflated (f = 1, §4.2 and §13 item 23).
  kernels::rms_normalize_columns(E, 1.0);
}

void project_unembedding(kernels::MatrixView U) { kernels::rms_normalize_rows(U, 1.0); }

double rms_to_rms_norm(kernels::MatrixView W, uint64_t seed, ProjectionWorkspace& ws, int iterations) {
  const size_t m = W.extent(0), n = W.extent(1);
  LIP_REQUIRE(ws.rows == m && ws.cols == n, "rms_to_rms_norm: ProjectionWorkspace is for (" << ws.rows << ", "
                                                << ws.cols << "), got W (" << m << ", " << n << ")");
  if (m == 0 || n == 0) return 0.0;
  // ‖W‖_{RMS→RMS} = sqrt(n/m)·σ1
  return std::sqrt(double(n) / double(m)) * kernels::power_iterate(ws.top, W, seed, iterations);
}

}  // namespace lip
