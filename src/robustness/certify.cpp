#include "robustness/certify.hpp"

#include <cmath>

#include "core/error.hpp"

namespace lip {

double l2_lipschitz_from_rms(double rms_bound, size_t input_dim, size_t output_dim) {
  return rms_bound * std::sqrt(double(output_dim) / double(input_dim));
}

std::vector<CertifiedExample> certify_examples(const std::vector<double>& logits, const std::vector<int>& labels,
                                               size_t input_dim, double rms_bound) {
  const size_t N = labels.size();
  LIP_REQUIRE(N > 0 && logits.size() % N == 0 && logits.size() / N >= 2,
              "certify_examples: " << logits.size() << " logits for " << N << " labels");
  LIP_REQUIRE(std::isfinite(rms_bound) && rms_bound > 0, "certify_examples: the bound must be positive and finite, got "
                                                             << rms_bound);
  const size_t K = logits.size() / N;
  const double lipschitz_l2 = l2_lipschitz_from_rms(rms_bound, input_dim, K);
  std::vector<CertifiedExample> out(N);
  for (size_t n = 0; n < N; ++n) {
    const double* z = logits.data() + n * K;
    auto& e = out[n];
    e.label = labels[n];
    LIP_REQUIRE(e.label >= 0 && size_t(e.label) < K, "certify_examples: label " << e.label << " of example " << n
                                                                                 << " is outside [0, " << K << ")");
    for (size_t k = 1; k < K; ++k)
      if (z[k] > z[e.prediction]) e.prediction = int(k);  // first maximum, as kernels::count_correct
    double runner_up = -INFINITY;
    for (size_t k = 0; k < K; ++k)
      if (int(k) != e.label) runner_up = std::max(runner_up, z[k]);
    e.margin = z[e.label] - runner_up;
    const bool certified = e.prediction == e.label && e.margin > 0;
    e.radius_l2 = certified ? e.margin / (std::sqrt(2.0) * lipschitz_l2) : 0.0;
    e.radius_linf = e.radius_l2 / std::sqrt(double(input_dim));
  }
  return out;
}

double certified_accuracy(const std::vector<CertifiedExample>& examples, kernels::ThreatNorm norm, double eps) {
  size_t count = 0;
  for (const auto& e : examples) count += e.prediction == e.label && e.radius(norm) > eps;
  return examples.empty() ? 0.0 : double(count) / double(examples.size());
}

}  // namespace lip
