#include "certify/target_bound.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "constraint/projector.hpp"
#include "constraint/registry.hpp"
#include "core/error.hpp"

namespace lip {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

//! log10 of the certified bound with every free cap at σ and every cap inflated by the slack.
double log10_bound_at(const Model& model, ConstraintPolicy policy, bool sensitive_all, double sigma) {
  policy.w_max = sigma;
  std::vector<double> caps = enforced_caps(model.params(), policy, sensitive_all);
  for (double& c : caps) c *= 1 + kCapSlack;
  return model.certified_bound(caps).log10_bound;
}

}  // namespace

std::string target_bound_method_problem(ProjectionMethod method, bool sensitive_all) {
  const ConstraintMethod& entry = constraint_method(method);
  std::ostringstream why;
  if (!entry.guarantees_cap)
    why << "certify.target_bound needs a constraint.method that keeps every singular value at or below its cap after "
        << "every step (" << joined(cap_guaranteeing_method_names()) << "), got constraint.method " << entry.deck_name;
  else if (entry.unit_target && !projection_is_sensitive(method, sensitive_all))
    why << "certify.target_bound with constraint.method " << entry.deck_name
        << " needs constraint.sensitive_all true (with false the method caps at 1 whatever w_max)";
  return why.str();
}

std::vector<double> enforced_caps(const ParamStore& params, const ConstraintPolicy& policy, bool sensitive_all) {
  std::vector<double> caps;
  for (const ParamInfo& info : params.infos()) {
    ParamInfo resolved = info;
    resolved.constraint = constraint_for(info, policy);
    caps.push_back(enforced_norm_cap(resolved, sensitive_all));
  }
  return caps;
}

TargetBoundSolution solve_target_bound(const Model& model, const ConstraintPolicy& policy, bool sensitive_all,
                                       double target) {
  const std::string problem = target_bound_method_problem(policy.method, sensitive_all);
  LIP_REQUIRE(problem.empty(), problem);
  TargetBoundSolution s;
  s.target = target;
  s.smallest.log10_bound = log10_bound_at(model, policy, sensitive_all, 0.0);
  const double log_target = std::isfinite(target) && target > 0 ? std::log10(target) : NAN;
  LIP_REQUIRE(std::isfinite(log_target) && log_target > s.smallest.log10_bound,
              "certify.target_bound " << target << " cannot be reached: the smallest certified bound this deck can "
                  << "reach is " << s.smallest.to_string() << " (the limit as the solved caps go to 0, with the "
                  << "embedding, an unembedding head and an explicit constraint.head_w_max / constraint.qk_w_max at "
                  << "their fixed caps); choose a larger target or lower the fixed caps");

  // Bracket log10 σ* in one decade [t_lo, t_lo + 1], then bisect; B(10^t) is non-decreasing in t.
  auto over = [&](double t) { return log10_bound_at(model, policy, sensitive_all, std::pow(10.0, t)) > log_target; };
  double t_lo = 0;
  if (over(t_lo)) {
    while (over(t_lo)) {
      t_lo -= 1;
      LIP_REQUIRE(t_lo > -300, "certify.target_bound " << target << " is within rounding of the smallest reachable "
                                                     << "bound " << s.smallest.to_string() << "; choose a larger target");
    }
  } else {
    while (!over(t_lo + 1)) {
      t_lo += 1;
      LIP_REQUIRE(t_lo < 300, "certify.target_bound: the certified bound does not grow with constraint.w_max (every "
                                  << "cap is fixed by the deck), so there is nothing to solve");
    }
  }
  double t_hi = t_lo + 1;
  for (int i = 0; i < 64; ++i) {
    const double mid = 0.5 * (t_lo + t_hi);
    (over(mid) ? t_hi : t_lo) = mid;
  }
  s.w_max = std::pow(10.0, t_lo);
  s.policy = policy;
  s.policy.w_max = s.w_max;
  s.caps = enforced_caps(model.params(), s.policy, sensitive_all);
  std::vector<double> worst = s.caps;
  for (double& c : worst) c *= 1 + kCapSlack;
  s.worst_case = model.certified_bound(worst);
  return s;
}

std::string TargetBoundSolution::describe(const ParamStore& params) const {
  // One line per role: its tensors, their cap and where it comes from.
  std::vector<std::string> order;
  std::map<std::string, std::pair<std::string, std::string>> lines;  // role -> (tensor names, caps)
  for (size_t i = 0; i < params.num_tensors(); ++i) {
    const ParamInfo& info = params.info(i);
    const char* source = info.kind != ParamKind::matrix ? "token RMS cap of its kind"
                         : caps[i] == w_max             ? "solved"
                                                        : "fixed by the deck";
    char text[128];
    std::snprintf(text, sizeof text, "cap %.6g (%s)", caps[i], source);
    const std::string role = role_name(info.role);
    if (!lines.count(role)) order.push_back(role);
    auto& [names, line] = lines[role];
    names += (names.empty() ? "" : ",") + info.name;
    if (line.empty()) line = text;
    else if (line != text) line += "; " + std::string(text);
  }
  char head[256];
  std::snprintf(head, sizeof head,
                "certify.target_bound %.6g: constraint.w_max solved = %.6g; caps per role:\n", target, w_max);
  std::string out = head;
  for (const auto& role : order) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-10s %-28s %s\n", role.c_str(), lines[role].first.c_str(),
                  lines[role].second.c_str());
    out += line;
  }
  char tail[256];
  std::snprintf(tail, sizeof tail, "worst-case certified bound %s (every tensor at its cap x (1 + %g)) <= target %.6g; "
                "smallest reachable %s\n", worst_case.to_string().c_str(), kCapSlack, target, smallest.to_string().c_str());
  return out + tail;
}

}  // namespace lip
