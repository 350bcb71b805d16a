#include "robustness/attack.hpp"

#include "core/error.hpp"

namespace lip {

ThreatNorm parse_threat_norm(const std::string& name) {
  if (name == "l2") return ThreatNorm::l2;
  if (name == "linf") return ThreatNorm::linf;
  LIP_FAIL("unknown threat norm '" << name << "'; expected l2 or linf");
}

const char* threat_norm_name(ThreatNorm norm) { return norm == ThreatNorm::l2 ? "l2" : "linf"; }

AttackLoss parse_attack_loss(const std::string& name) {
  if (name == "ce") return AttackLoss::cross_entropy;
  if (name == "margin") return AttackLoss::margin;
  if (name == "targeted") return AttackLoss::targeted;
  LIP_FAIL("unknown attack loss '" << name << "'; expected ce, margin or targeted");
}

int AttackSettings::deterministic_restarts(int classes) const {
  return loss == AttackLoss::targeted ? classes - 1 : 1;
}

AttackSettings AttackSettings::fgsm(ThreatNorm norm) {
  AttackSettings s;
  s.norm = norm;
  s.steps = 1;
  s.step_fraction = 1;
  s.restarts = 1;
  s.random_start = false;
  return s;
}

Attacker::Attacker(Mlp& model) : model_(model), chunk_(model.config().max_batch) {
  const auto& c = model.config();
  batch_.inputs = kernels::Tensor2("Attacker::x", chunk_, c.input_dim);
  batch_.targets = kernels::IndexTensor1("Attacker::y", chunk_);
  grad_ = kernels::Tensor2("Attacker::grad", chunk_, c.input_dim);
  cotangent_ = kernels::Tensor2("Attacker::cotangent", chunk_, c.output_dim);
  fooled_ = kernels::View1<int>("Attacker::fooled", chunk_);
  worst_ = kernels::Tensor1("Attacker::worst_prob", chunk_);
}

AttackOutcome Attacker::run(const kernels::Tensor2& x0, const kernels::IndexTensor1& y, const kernels::Tensor1& eps,
                            const AttackSettings& s) {
  LIP_REQUIRE(x0.extent(1) == model_.config().input_dim,
              "attack inputs have " << x0.extent(1) << " features, the model " << model_.config().input_dim);
  LIP_REQUIRE(y.extent(0) == x0.extent(0) && eps.extent(0) == x0.extent(0),
              "attack: " << x0.extent(0) << " inputs, " << y.extent(0) << " labels, " << eps.extent(0) << " radii");
  LIP_REQUIRE(s.steps >= 1 && s.restarts >= 1, "attack: steps and restarts must be ≥ 1");
  const size_t N = x0.extent(0);
  AttackOutcome out;
  out.broken.resize(N);
  out.worst_prob.resize(N);
  using Range = std::pair<size_t, size_t>;
  for (size_t first = 0; first < N; first += chunk_) {
    const size_t rows = std::min(chunk_, N - first);
    const Range chunk(first, first + rows), head(0, rows);
    const auto x0c = Kokkos::subview(x0, chunk, Kokkos::ALL);
    const auto eps_c = Kokkos::subview(eps, chunk);
    const auto x = Kokkos::subview(batch_.inputs, head, Kokkos::ALL);
    const kernels::MatrixView grad(grad_.data(), rows, grad_.extent(1));
    const kernels::MatrixView u(cotangent_.data(), rows, cotangent_.extent(1));
    const auto fooled = Kokkos::subview(fooled_, head);
    const auto worst = Kokkos::subview(worst_, head);
    batch_.size = rows;
    Kokkos::deep_copy(Kokkos::subview(batch_.targets, head), Kokkos::subview(y, chunk));
    Kokkos::deep_copy(fooled, 0);
    Kokkos::deep_copy(worst, kernels::Real(1));
    const int classes = int(model_.config().output_dim);
    for (int r = 0; r < s.restarts; ++r) {
      if (s.random_start && r >= s.deterministic_restarts(classes))
        kernels::attack_random_start(x, x0c, eps_c, s.norm, s.seed, uint64_t(r), first);
      else
        Kokkos::deep_copy(x, x0c);
      for (int step = 0;; ++step) {
        model_.forward(batch_);
        kernels::attack_record(model_.logits(), model_.probabilities(), Kokkos::subview(batch_.targets, head), fooled,
                               worst);
        if (step == s.steps) break;
        if (s.loss == AttackLoss::cross_entropy) {
          model_.loss_input_gradient(grad);
        } else {
          const int target_offset = s.loss == AttackLoss::targeted ? 1 + r % (classes - 1) : 0;
          kernels::margin_cotangent(u, model_.logits(), Kokkos::subview(batch_.targets, head), target_offset);
          model_.logits_vjp(grad, u);
        }
        kernels::attack_step(x, x0c, grad, eps_c, s.step(), s.norm);
      }
    }
    auto fooled_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), fooled);
    auto worst_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), worst);
    for (size_t n = 0; n < rows; ++n) {
      out.broken[first + n] = fooled_host(n);
      out.worst_prob[first + n] = worst_host(n);
    }
  }
  return out;
}

}  // namespace lip
