// Attacks and certified radii (src/robustness, kernels/attack.hpp) against analytic answers.
//
// A depth-2 ReLU MLP with W₁ = [I; −I] and W₂ = [A, −A] computes z = A·x exactly (relu(x) − relu(−x)
// = x), a linear classifier whose minimal adversarial distances are known in closed form:
//   ℓ2: min_{j≠y} (z_y − z_j)/‖a_y − a_j‖₂       ℓ∞: min_{j≠y} (z_y − z_j)/‖a_y − a_j‖₁
// (inputs sit in [0.4, 0.6] and every ℓ2 distance is below 0.25, so the box [0, 1] never binds).
// PGD must break every example at 1.01× its distance and none at 0.99× (impossible by the math: the
// check that the attack does not cheat), and the certified radius must not exceed the distance.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "kernels/rng.hpp"
#include "model/exact_norms.hpp"
#include "robustness/attack.hpp"
#include "robustness/certify.hpp"
#include "support/device_helpers.hpp"

namespace k = lip::kernels;

namespace {

constexpr size_t kFeatures = 6, kExamples = 24;

struct LinearProblem {
  size_t classes = 0;
  std::unique_ptr<lip::Mlp> model;
  std::vector<double> A;  // [K, d]
  k::Tensor2 x0;
  k::IndexTensor1 y;
  std::vector<double> distance_l2, distance_linf;
  std::vector<double> logits;  // clean, [N, K]
  std::vector<int> labels;
};

LinearProblem make_linear_problem(size_t classes = 3) {
  LinearProblem p;
  p.classes = classes;
  const size_t kClasses = classes;
  lip::MlpConfig c;
  c.input_dim = kFeatures;
  c.width = 2 * kFeatures;
  c.output_dim = kClasses;
  c.num_layers = 2;
  c.zero_init_layer = "none";
  c.max_batch = 10;  // smaller than N: the attacker works in chunks (10, 10, 4)
  p.model = std::make_unique<lip::Mlp>(c);
  p.model->initialize(1);
  p.A.resize(kClasses * kFeatures);
  for (size_t i = 0; i < p.A.size(); ++i) p.A[i] = 8 * k::normal_draw(7, 0, i);
  // Zero-sum rows: every decision boundary a_y·x = a_j·x passes through the centre (0.5, …, 0.5),
  // so inputs near the centre are close to a boundary (distances do not scale with A).
  for (size_t j = 0; j < kClasses; ++j) {
    double mean = 0;
    for (size_t f = 0; f < kFeatures; ++f) mean += p.A[j * kFeatures + f] / kFeatures;
    for (size_t f = 0; f < kFeatures; ++f) p.A[j * kFeatures + f] -= mean;
  }
  auto W1 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.model->params().param(0));
  auto W2 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.model->params().param(1));
  Kokkos::deep_copy(W1, k::Real(0));
  for (size_t f = 0; f < kFeatures; ++f) {
    W1(f, f) = 1;
    W1(kFeatures + f, f) = -1;
    for (size_t j = 0; j < kClasses; ++j) {
      W2(j, f) = k::Real(p.A[j * kFeatures + f]);
      W2(j, kFeatures + f) = k::Real(-p.A[j * kFeatures + f]);
    }
  }
  Kokkos::deep_copy(p.model->params().param(0), W1);
  Kokkos::deep_copy(p.model->params().param(1), W2);

  p.x0 = k::Tensor2("x0", kExamples, kFeatures);
  p.y = k::IndexTensor1("y", kExamples);
  auto x_host = Kokkos::create_mirror_view(p.x0);
  auto y_host = Kokkos::create_mirror_view(p.y);
  for (size_t n = 0; n < kExamples; ++n) {
    std::vector<double> x(kFeatures), z(kClasses, 0.0);
    for (size_t f = 0; f < kFeatures; ++f) x_host(n, f) = k::Real(0.4 + 0.2 * k::uniform_draw(8, 0, n * kFeatures + f));
    for (size_t f = 0; f < kFeatures; ++f) x[f] = x_host(n, f);  // the float input the model sees
    for (size_t j = 0; j < kClasses; ++j)
      for (size_t f = 0; f < kFeatures; ++f) z[j] += p.A[j * kFeatures + f] * x[f];
    const int label = int(std::max_element(z.begin(), z.end()) - z.begin());
    y_host(n) = label;
    double d2 = INFINITY, dinf = INFINITY;
    for (size_t j = 0; j < kClasses; ++j) {
      if (int(j) == label) continue;
      double n2 = 0, n1 = 0;
      for (size_t f = 0; f < kFeatures; ++f) {
        const double a = p.A[size_t(label) * kFeatures + f] - p.A[j * kFeatures + f];
        n2 += a * a;
        n1 += std::abs(a);
      }
      d2 = std::min(d2, (z[size_t(label)] - z[j]) / std::sqrt(n2));
      dinf = std::min(dinf, (z[size_t(label)] - z[j]) / n1);
    }
    p.distance_l2.push_back(d2);
    p.distance_linf.push_back(dinf);
    p.labels.push_back(label);
    p.logits.insert(p.logits.end(), z.begin(), z.end());
  }
  Kokkos::deep_copy(p.x0, x_host);
  Kokkos::deep_copy(p.y, y_host);
  return p;
}

k::Tensor1 radii(const std::vector<double>& distance, double factor) {
  k::Tensor1 eps("eps", distance.size());
  auto h = Kokkos::create_mirror_view(eps);
  for (size_t n = 0; n < distance.size(); ++n) h(n) = k::Real(distance[n] * factor);
  Kokkos::deep_copy(eps, h);
  return eps;
}

size_t count_broken(const lip::AttackOutcome& o) {
  size_t broken = 0;
  for (int b : o.broken) broken += b;
  return broken;
}

}  // namespace

TEST(Attack, LinearModelHasTheClosedFormDistances) {
  auto p = make_linear_problem();
  for (size_t n = 0; n < kExamples; ++n) {
    ASSERT_GT(p.distance_l2[n], 1e-3) << n;
    ASSERT_LT(p.distance_l2[n], 0.25) << n;  // the box never binds (inputs in [0.4, 0.6])
  }
  // The MLP really is the linear map x ↦ A·x.
  lip::Batch batch;
  batch.inputs = k::Tensor2("x", 10, kFeatures);
  batch.targets = k::IndexTensor1("y", 10);
  batch.size = 10;
  Kokkos::deep_copy(batch.inputs, Kokkos::subview(p.x0, std::pair<size_t, size_t>(0, 10), Kokkos::ALL));
  Kokkos::deep_copy(batch.targets, Kokkos::subview(p.y, std::pair<size_t, size_t>(0, 10)));
  p.model->forward(batch);
  auto z = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.model->logits());
  for (size_t n = 0; n < 10; ++n)
    for (size_t j = 0; j < p.classes; ++j) EXPECT_NEAR(z(n, j), p.logits[n * p.classes + j], 1e-4);
}

// Two classes: every objective points at the one boundary. More classes: the cross-entropy or the
// best-wrong-class margin may settle on a class whose boundary is farther than the nearest one, so
// the multi-targeted margin (one restart per wrong class) is the attack that must reach it.
TEST(Attack, PgdReachesTheMinimalDistanceWithinOnePercent) {
  for (size_t classes : {2, 3, 5}) {
    auto p = make_linear_problem(classes);
    lip::Attacker attacker(*p.model);
    std::vector<lip::AttackLoss> losses = {lip::AttackLoss::targeted};
    if (classes == 2) losses = {lip::AttackLoss::cross_entropy, lip::AttackLoss::margin, lip::AttackLoss::targeted};
    for (auto norm : {lip::ThreatNorm::l2, lip::ThreatNorm::linf}) {
      const auto& distance = norm == lip::ThreatNorm::l2 ? p.distance_l2 : p.distance_linf;
      lip::AttackSettings s;
      s.norm = norm;
      s.steps = 100;
      s.restarts = int(classes) - 1;
      for (auto loss : losses) {
        s.loss = loss;
        EXPECT_EQ(count_broken(attacker.run(p.x0, p.y, radii(distance, 1.01), s)), kExamples)
            << classes << " classes, " << lip::threat_norm_name(norm) << ", loss " << int(loss)
            << ": PGD misses an adversarial example at 1.01x the minimal distance";
        EXPECT_EQ(count_broken(attacker.run(p.x0, p.y, radii(distance, 0.99), s)), 0u)
            << classes << " classes, " << lip::threat_norm_name(norm)
            << ": an 'adversarial example' below the minimal distance";
      }
    }
  }
}

TEST(Attack, FgsmIsOneFullStepAndPgdStaysInTheBallAndTheBox) {
  auto p = make_linear_problem();
  // Radii of 0.6 make the box bind for many coordinates.
  for (auto norm : {lip::ThreatNorm::l2, lip::ThreatNorm::linf}) {
    const k::Tensor1 eps = radii(std::vector<double>(kExamples, 1.0), 0.6);
    k::Tensor2 x("x", kExamples, kFeatures), grad = lip::test::random_tensor(kExamples, kFeatures, 5, 10.0);
    k::attack_random_start(x, p.x0, eps, norm, 3, 0, 0);
    for (int step = 0; step < 5; ++step) k::attack_step(x, p.x0, grad, eps, 0.7, norm);
    auto xh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), x);
    auto x0h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.x0);
    for (size_t n = 0; n < kExamples; ++n) {
      double d2 = 0, dinf = 0;
      for (size_t f = 0; f < kFeatures; ++f) {
        EXPECT_GE(xh(n, f), 0.0f);
        EXPECT_LE(xh(n, f), 1.0f);
        const double d = double(xh(n, f)) - x0h(n, f);
        d2 += d * d;
        dinf = std::max(dinf, std::abs(d));
      }
      const double dist = norm == lip::ThreatNorm::l2 ? std::sqrt(d2) : dinf;
      EXPECT_LE(dist, 0.6 * (1 + 1e-5)) << lip::threat_norm_name(norm) << " example " << n;
      EXPECT_GT(dist, 0.2) << "the steps moved the point";
    }
  }
  // ℓ∞ FGSM from x0 with a small ε moves every coordinate by exactly ε against the gradient sign.
  const k::Tensor1 eps = radii(std::vector<double>(kExamples, 1.0), 0.01);
  k::Tensor2 x("x", kExamples, kFeatures), grad = lip::test::random_tensor(kExamples, kFeatures, 6);
  Kokkos::deep_copy(x, p.x0);
  k::attack_step(x, p.x0, grad, eps, 1.0, lip::ThreatNorm::linf);
  auto xh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), x);
  auto x0h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.x0);
  auto gh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), grad);
  for (size_t n = 0; n < kExamples; ++n)
    for (size_t f = 0; f < kFeatures; ++f) EXPECT_NEAR(xh(n, f) - x0h(n, f), gh(n, f) > 0 ? 0.01 : -0.01, 1e-6);
}

TEST(Certify, RadiusFromMarginAndBound) {
  // logits (3, 1, 0.5), label 0: margin 2; bound L over d = 8 inputs, K = 3 logits:
  // r₂ = 2/(√2·L·√(3/8)), r∞ = r₂/√8. Label 1 is misclassified: radius 0.
  const double L = 4;
  const auto e = lip::certify_examples({3, 1, 0.5, 3, 1, 0.5}, {0, 1}, 8, L);
  EXPECT_DOUBLE_EQ(e[0].margin, 2);
  EXPECT_NEAR(e[0].radius_l2, 2 / (std::sqrt(2.0) * L * std::sqrt(3.0 / 8)), 1e-15);
  EXPECT_NEAR(e[0].radius_linf, e[0].radius_l2 / std::sqrt(8.0), 1e-15);
  EXPECT_EQ(e[1].prediction, 0);
  EXPECT_EQ(e[1].radius_l2, 0);
  EXPECT_DOUBLE_EQ(lip::certified_accuracy(e, lip::ThreatNorm::l2, 0), 0.5);
  EXPECT_DOUBLE_EQ(lip::certified_accuracy(e, lip::ThreatNorm::l2, e[0].radius_l2), 0);  // r > ε strictly
  EXPECT_THROW(lip::certify_examples({1, 2}, {0}, 4, 0), lip::Error);
}

TEST(Certify, CertifiedRadiusNeverExceedsTheTrueDistance) {
  auto p = make_linear_problem();
  const double bound = p.model->certified_bound(lip::exact_norms(p.model->params())).value();
  const auto certified = lip::certify_examples(p.logits, p.labels, kFeatures, bound);
  double tightest = 0;
  for (size_t n = 0; n < kExamples; ++n) {
    EXPECT_LE(certified[n].radius_l2, p.distance_l2[n] * (1 + 1e-6)) << n;
    EXPECT_LE(certified[n].radius_linf, p.distance_linf[n] * (1 + 1e-6)) << n;
    tightest = std::max(tightest, certified[n].radius_l2 / p.distance_l2[n]);
  }
  EXPECT_GT(tightest, 0.01);  // the radii are not vacuously zero
  // Negative control: the same check with a bound 10x too small fails for some example.
  const auto wrong = lip::certify_examples(p.logits, p.labels, kFeatures, bound / 10);
  size_t exceeding = 0;
  for (size_t n = 0; n < kExamples; ++n) exceeding += wrong[n].radius_l2 > p.distance_l2[n];
  EXPECT_GT(exceeding, 0u);
}
