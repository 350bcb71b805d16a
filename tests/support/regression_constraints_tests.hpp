#pragma once
// Regression (issue 6, docs/REGRESSION.md): every constraint method through project_linear on
// fixed matrices (regression/constraints.h5), the soft-cap strength α, and Newton–Schulz for each
// coefficient table plus the msign polar factor (regression/newton_schulz.h5), against the
// independent PyTorch reference.
// Included by test_regression_constraints.cpp (Real = float) and test_regression_constraints_double.cpp (Real = double);
// the tolerance of every dataset is picked by sizeof(Real).
#include <gtest/gtest.h>

#include <sstream>

#include "constraint/projector.hpp"
#include "kernels/newton_schulz.hpp"
#include "kernels/spectral.hpp"
#include "support/regression_compare.hpp"

namespace k = lip::kernels;
using lip::test::Item;
using lip::test::ReferenceFile;
using lip::test::StageRunner;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

k::Tensor2 load_matrix(const ReferenceFile& ref, const std::string& ds) {
  std::vector<size_t> shape;
  const auto v = ref.values(ds, &shape);
  k::Tensor2 t("regression::matrix", shape.at(0), shape.at(1));
  lip::test::set_values(k::MatrixView(t.data(), shape[0], shape[1]), v, ds);
  return t;
}

}  // namespace

TEST(RegressionConstraints, SoftCapStrength) {
  ReferenceFile ref("constraints.h5");
  StageRunner st(ref);
  std::vector<size_t> shape;
  const auto in = ref.values("soft_cap_strength/inputs", &shape);
  std::vector<double> alpha;
  for (size_t r = 0; r < shape.at(0); ++r) alpha.push_back(k::soft_cap_strength(in[r * 3], in[r * 3 + 1], in[r * 3 + 2]));
  EXPECT_TRUE(st.stage("soft_cap_strength", {{"soft_cap_strength/alpha", alpha}}));
}

TEST(RegressionConstraints, EachMethodOnFixedMatrices) {
  ReferenceFile ref("constraints.h5");
  StageRunner st(ref);
  const auto alpha_tol = ref.tolerance("soft_cap_strength/alpha");
  for (const auto& name : split(ref.attr_string("/", "cases"))) {
    const std::string ds = "cases/" + name;
    const auto W = load_matrix(ref, "matrices/" + ref.attr_string(ds, "matrix"));
    lip::ProjectionSettings s;
    s.method = lip::parse_projection_method(ref.attr_string(ds, "method"));
    s.w_max = ref.attr(ds, "w_max");
    s.weight_decay = ref.attr(ds, "weight_decay");
    s.spectral_wd = ref.attr(ds, "spectral_wd");
    s.clip_min = ref.attr(ds, "clip_min");
    s.clipped_wd_lambda = ref.attr(ds, "clipped_wd_lambda");
    s.power_iterations = int(ref.attr_int(ds, "power_iterations"));
    s.sensitive_all = true;
    s.divide_update_by_fan_scale = true;
    const double lr_t = ref.attr(ds, "lr_t"), target = ref.attr(ds, "target_norm");
    const size_t m = W.extent(0), n = W.extent(1);
    lip::ProjectionWorkspace ws(m, n);
    const double alpha = lip::projection_soft_cap_alpha(m, n, s, lr_t, target);
    lip::project_linear(k::MatrixView(W.data(), m, n), s, lr_t, target, 4242, ws);
    std::vector<Item> items;
    if (s.method == lip::ProjectionMethod::soft_cap) {  // only the soft cap uses the coupled α
      Item a{ds + " [alpha]", {alpha}};
      a.expected = std::vector<double>{ref.attr(ds, "alpha")};
      a.tol = alpha_tol;
      items.push_back(a);
    }
    items.push_back({ds, lip::test::host_values(W)});
    EXPECT_TRUE(st.stage("projection." + name, items));
  }
}

TEST(RegressionNewtonSchulz, EachTableAndPolarFactor) {
  ReferenceFile ref("newton_schulz.h5");
  StageRunner st(ref);
  for (const auto& table : split(ref.attr_string("/", "tables"))) {
    std::vector<Item> items;
    for (const auto& input : split(ref.attr_string("/", "inputs"))) {
      const auto M = load_matrix(ref, "inputs/" + input);
      k::Tensor2 out("regression::ns_out", M.extent(0), M.extent(1));
      k::NsWorkspace ws(M.extent(0), M.extent(1));
      k::newton_schulz(out, M, ws, k::ns_table(table));
      items.push_back({"ns/" + table + "/" + input, lip::test::host_values(out)});
    }
    EXPECT_TRUE(st.stage("newton_schulz." + table, items));
  }
  std::vector<Item> polar;
  for (const auto& input : split(ref.attr_string("/", "msign_inputs"))) {
    const auto M = load_matrix(ref, "inputs/" + input);
    k::Tensor2 out("regression::msign_out", M.extent(0), M.extent(1));
    k::NsWorkspace ws(M.extent(0), M.extent(1));
    k::msign(out, M, ws);
    polar.push_back({"msign/" + input, lip::test::host_values(out)});
  }
  EXPECT_TRUE(st.stage("msign (polar factor U·Vᵀ)", polar));
}
