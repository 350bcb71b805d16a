#include "train/setup.hpp"

#include "core/error.hpp"

namespace lip {

std::map<std::string, OptimizerGroup> optimizer_groups(const RunConfig& c) {
  OptimizerGroup g;
  g.kind = parse_optimizer_kind(c.optimizer);
  g.lr = c.lr;
  g.beta1 = c.beta1;
  g.beta2 = c.beta2;
  g.eps = c.eps;
  g.weight_decay = c.weight_decay;
  g.nesterov = c.nesterov;
  g.ns_table = c.ns_table;
  g.embed_inflation = c.embed_inflation;
  g.momentum_warmup_start = c.momentum_warmup_start;
  g.momentum_warmup_steps = c.momentum_warmup_steps;
  OptimizerGroup embed = g, head = g;
  if (c.embed_optimizer != "same") embed.kind = parse_optimizer_kind(c.embed_optimizer);
  if (c.embed_lr > 0) embed.lr = c.embed_lr;
  if (c.embed_beta1 >= 0) embed.beta1 = c.embed_beta1;
  if (c.embed_beta2 >= 0) embed.beta2 = c.embed_beta2;
  if (c.embed_eps > 0) embed.eps = c.embed_eps;
  embed.bias_correction = c.embed_bias_correction;
  if (c.head_lr > 0) head.lr = c.head_lr;
  return {{"hidden", g}, {"embed", embed}, {"head", head}};
}

ProjectionSettings shared_projection_settings(const RunConfig& config) {
  const ConstraintConfig& k = config.constraint;
  ProjectionSettings s;
  s.method = parse_projection_method(k.method);
  s.w_max = k.w_max;
  s.weight_decay = config.weight_decay;
  s.spectral_wd = k.spectral_wd;
  s.power_iterations = k.power_iterations;
  s.sensitive_all = k.sensitive_all;
  s.divide_update_by_fan_scale = k.divide_update_by_fan_scale;
  s.update_norm_factor = k.update_norm_factor;
  s.clip_min = k.clip_min;
  s.clipped_wd_lambda = k.clipped_wd_lambda;
  return s;
}

ConstraintPolicy constraint_policy(const RunConfig& config) {
  const ConstraintConfig& k = config.constraint;
  return {parse_projection_method(k.method), k.w_max, k.qk_w_max, k.head_w_max};
}

Schedule make_schedule(const RunConfig& config) {
  Schedule s;
  s.kind = Schedule::parse(config.schedule);
  s.total_steps = config.steps;
  return s;
}

uint64_t projection_seed_base(const RunConfig& config) { return config.seed * 1000003ull; }

StepParts make_step_parts(const RunConfig& config, Model& model, int ranks, int rank) {
  StepParts parts;
  ConstraintPolicy policy = constraint_policy(config);
  if (config.target_bound > 0) {
    parts.target = solve_target_bound(model, policy, config.constraint.sensitive_all, config.target_bound);
    policy = parts.target->policy;
    LIP_REQUIRE(config.constraint.clip_min <= policy.w_max,
                "constraint.clip_min " << config.constraint.clip_min << " exceeds the w_max " << policy.w_max
                                       << " solved from certify.target_bound " << config.target_bound
                                       << "; lower constraint.clip_min");
  }
  assign_constraints(model.mutable_params(), policy);
  const ParamStore& params = model.params();
  parts.optimizer = std::make_unique<Optimizer>(
      params, optimizer_groups(config),
      config.sharded_optimizer && ranks > 1 ? ShardPlan::balanced(params.infos(), params.slab_size(), ranks, rank)
                                            : ShardPlan::replicated(params));
  parts.projector = std::make_unique<Projector>(model.params(), shared_projection_settings(config));
  parts.schedule = make_schedule(config);
  return parts;
}

}  // namespace lip
