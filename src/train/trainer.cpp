#include "train/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/error.hpp"
#include "core/version.hpp"
#include "kernels/reductions.hpp"
#include "train/timer.hpp"

namespace lip {

Trainer::Trainer(const RunConfig& config, const BatchPlan& plan, Comm& comm, Model& model, DataSource& data)
    : config_(config),
      plan_(plan),
      comm_(comm),
      model_(model),
      data_(data),
      run_dir_(config.output_dir, config.checkpoint_keep),
      parts_(make_step_parts(config, model, comm.size(), comm.rank())) {
  evaluator_ = std::make_unique<Evaluator>(config, plan, comm, model, data, *parts_.projector);
  train_step_ = std::make_unique<TrainStep>(model, *parts_.optimizer, *parts_.projector, comm, plan, parts_.schedule,
                                            projection_seed_base(config));
  train_step_->set_check([this](const StepResult& r) { agree_on_health_and_stop(r); });
  train_batch_ = data.make_batch(config.batch_size);
  if (comm.is_root() && parts_.target) std::printf("%s", parts_.target->describe(model.params()).c_str());
  const Optimizer& opt = *parts_.optimizer;
  const double largest = comm.allreduce_max(double(opt.state_bytes()));
  if (comm.is_root() && opt.shard().sharded())
    std::printf("optimizer: sharded over %d ranks, at most %.2f MiB of optimizer state per rank\n%s", comm.size(),
                largest / 1048576.0, opt.shard().describe(model.params().infos()).c_str());
  else if (comm.is_root() && comm.size() > 1)
    std::printf("optimizer: replicated on each of %d ranks, %.2f MiB of optimizer state per rank\n", comm.size(),
                largest / 1048576.0);
}

Trainer::~Trainer() = default;

void Trainer::open_metrics() {
  if (!comm_.is_root() || train_csv_.is_open()) return;
  run_dir_.create(config_.resolved_deck);
  const std::vector<std::string> train_columns = {
      "step", "loss", "accuracy", "lr", config_.model_kind == "gpt" ? "tokens_per_s" : "samples_per_s", "elapsed_s"};
  std::vector<std::string> eval_columns = {"step", "eval_loss", "eval_accuracy", "log10_bound", "bound", "max_activation"};
  for (const auto& info : model_.params().infos()) eval_columns.push_back("norm_" + info.name);
  // A resumed run keeps the rows of the run it continues, up to the checkpoint's step. A resume at
  // run.steps trains nothing and evaluates the checkpoint again: that row replaces the old one.
  const long last_kept_eval = resumed_at_end() ? resumed_step_ - 1 : resumed_step_;
  train_csv_ = run_dir_.open_metrics("train.csv", train_columns, resumed_step_);
  eval_csv_ = run_dir_.open_metrics("eval.csv", eval_columns, last_kept_eval);
  if (config_.bound_table) {
    // One column per stage of the bound's recursion; the names do not depend on the norms.
    std::vector<std::string> columns = {"step"};
    const std::vector<double> unit_norms(model_.params().infos().size(), 1.0);
    for (const auto& stage : model_.certified_bound(unit_norms).stage_names) columns.push_back("log10_" + stage);
    bound_csv_ = run_dir_.open_metrics("bound_table.csv", columns, last_kept_eval);
  }
}

double Trainer::step() {
  Timer timer;
  data_.next_train_batch(train_batch_);
  train_step_->times().seconds[StepTimes::data] += timer.lap();
  const StepResult r = train_step_->run(plan_.local_slice(train_batch_), step_);
  last_accuracy_ = r.accuracy;
  ++step_;
  return r.loss;
}

void Trainer::agree_on_health_and_stop(const StepResult& r) {
  const bool healthy = std::isfinite(r.loss) && std::isfinite(r.grad_norm);
  std::vector<long> flags = {healthy ? 0 : 1, long(received_stop_signal())};
  comm_.max(flags);
  if (flags[1] != 0) stop_signal_ = int(flags[1]);
  if (flags[0] == 0) return;
  std::ostringstream msg;
  msg << "step " << step_ + 1 << ": the training loss or the gradient is not finite on at least one rank (here: loss "
      << r.loss << ", gradient norm " << r.grad_norm << "); stopped before the update, so no checkpoint holds these "
      << "values (last checkpoint: " << (last_checkpoint_.empty() ? "none" : last_checkpoint_) << ")";
  throw CollectiveError(msg.str(), "lower optim.lr, use a weight constraint (constraint.method), or resume from the "
                                   "last checkpoint with --resume latest and changed settings");
}

std::vector<io::CheckpointSlab> Trainer::full_layout_state() const {
  std::vector<io::CheckpointSlab> state;
  const bool sharded = parts_.optimizer->shard().sharded();
  for (const auto& [name, slab] : parts_.optimizer->state_slabs())
    state.push_back({name, sharded ? kernels::Tensor1("Trainer::" + name, model_.params().slab_size()) : slab});
  return state;
}

std::vector<io::CheckpointSlab> Trainer::gathered_optimizer_state() const {
  const Optimizer& opt = *parts_.optimizer;
  if (!opt.shard().sharded()) return full_layout_state();
  std::vector<io::CheckpointSlab> state;
  if (comm_.is_root()) state = full_layout_state();
  const auto counts = opt.shard().counts(), displs = opt.shard().displacements();
  const auto own = opt.state_slabs();
  for (size_t k = 0; k < own.size(); ++k)
    comm_.gather_segments(kernels::as_vector(own[k].second),
                          comm_.is_root() ? kernels::as_vector(state[k].slab) : kernels::VectorView(), counts, displs);
  return state;
}

void Trainer::resume(const std::string& spec) {
  const Optimizer& opt = *parts_.optimizer;
  // rank 0 reads the full layout; a sharded optimizer then takes its segments of it
  const auto state = comm_.is_root() || !opt.shard().sharded() ? full_layout_state() : std::vector<io::CheckpointSlab>();
  std::string path, error, hint;
  io::CheckpointMeta meta;
  if (comm_.is_root()) {
    try {
      if (spec == "latest" || spec == "auto") {
        path = run_dir_.latest_checkpoint();
        LIP_REQUIRE(!path.empty() || spec == "auto",
                    "--resume latest: " << config_.output_dir << "/latest does not exist (no checkpoint was written"
                                        << " in run.output_dir yet); use --resume auto to start fresh when none exists");
      } else {
        path = spec;
      }
      if (!path.empty()) meta = io::read_checkpoint(path, model_.params(), state);
    } catch (const Error& e) {
      error = e.what(), hint = e.hint();
    }
  }
  // Rank 0's verdict reaches every rank, so a refused checkpoint ends the job on all of them at once.
  comm_.broadcast(error);
  comm_.broadcast(hint);
  if (!error.empty()) throw CollectiveError(error, hint);
  comm_.broadcast(path);
  if (path.empty()) {
    if (comm_.is_root()) std::printf("resume: no checkpoint in %s yet; starting from step 0\n", config_.output_dir.c_str());
    return;
  }
  comm_.broadcast(kernels::as_vector(model_.params().params_slab()));
  const auto own = opt.state_slabs();
  for (size_t k = 0; k < own.size(); ++k) {
    if (!opt.shard().sharded()) comm_.broadcast(kernels::as_vector(own[k].second));
    else
      comm_.scatter_segments(comm_.is_root() ? kernels::as_vector(state[k].slab) : kernels::VectorView(),
                             kernels::as_vector(own[k].second), opt.shard().counts(), opt.shard().displacements());
  }
  long step = meta.step, epoch = long(meta.data_epoch), position = long(meta.data_position);
  comm_.broadcast(step);
  comm_.broadcast(epoch);
  comm_.broadcast(position);
  try {
    data_.set_cursor(uint64_t(epoch), size_t(position));
  } catch (const Error& e) {  // the same cursor and data on every rank
    throw CollectiveError("checkpoint " + path + ": " + e.what());
  }
  step_ = resumed_step_ = step;
  last_checkpoint_ = path;
  if (!comm_.is_root()) return;
  std::printf("resume: loaded %s (step %ld, data epoch %ld batch %ld, written by %s at %d rank(s))\n", path.c_str(),
              step, epoch, position, meta.version.c_str(), meta.ranks);
  for (const auto& line : deck_changes(meta.deck, config_.resolved_deck)) std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void Trainer::save_checkpoint() {
  // Never replace a good checkpoint with bad weights (the update itself can overflow).
  const double norm = kernels::frobenius_norm(kernels::as_vector(model_.params().params_slab()));
  if (comm_.any(!std::isfinite(norm)))
    throw CollectiveError("step " + std::to_string(step_) + ": the parameters are not finite after the update (norm " +
                              std::to_string(norm) + " here); no checkpoint written (last checkpoint: " +
                              (last_checkpoint_.empty() ? std::string("none") : last_checkpoint_) + ")",
                          "lower optim.lr or use a weight constraint (constraint.method)");
  last_checkpoint_ = run_dir_.checkpoint_path(step_);
  const auto state = gathered_optimizer_state();  // every rank takes part
  if (!comm_.is_root()) return;
  io::CheckpointMeta meta;
  meta.step = step_;
  meta.data_epoch = data_.epoch();
  meta.data_position = data_.position();
  meta.seed = config_.seed;
  meta.data_seed = config_.data_seed;
  meta.ranks = comm_.size();
  meta.deck = config_.resolved_deck;
  meta.version = version_string();
  run_dir_.save_checkpoint(model_.params(), state, meta);
  std::printf("checkpoint: wrote %s\n", last_checkpoint_.c_str());
  std::fflush(stdout);
}

void Trainer::log_eval(const EvalResult& e) {
  if (!comm_.is_root()) return;
  std::vector<double> row = {double(step_), e.loss, e.accuracy, e.bound.log10_bound, e.bound.value(), e.max_activation};
  row.insert(row.end(), e.norms.begin(), e.norms.end());
  eval_csv_.write(row);
  if (bound_csv_.is_open()) {
    std::vector<double> stages = {double(step_)};
    stages.insert(stages.end(), e.bound.stage_log10.begin(), e.bound.stage_log10.end());
    bound_csv_.write(stages);
  }
  std::printf("eval  step %6ld | val loss %.4f | val acc %.4f | certified bound %s | max activation %.4g\n", step_,
              e.loss, e.accuracy, e.bound.to_string().c_str(), e.max_activation);
  std::fflush(stdout);
}

EvalResult Trainer::run() {
  open_metrics();
  const bool tokens = config_.model_kind == "gpt";
  const double samples_per_step = double(config_.batch_size) * (tokens ? double(config_.seq_len) : 1.0);
  const char* unit = tokens ? "tokens/s" : "samples/s";
  Timer wall;
  EvalResult last;
  double window_start = wall.elapsed();
  long window_steps = 0;
  while (step_ < config_.steps) {
    const double lr_now = config_.lr * parts_.schedule.factor(step_);  // the hidden group's lr
    const double loss = step();
    ++window_steps;
    if (comm_.is_root() && (step_ % config_.log_every == 0 || step_ == config_.steps)) {
      const double now = wall.elapsed();
      const double rate = window_steps * samples_per_step / std::max(1e-9, now - window_start);
      const double eta = (config_.steps - step_) * samples_per_step / std::max(rate, 1e-9);
      train_csv_.write({double(step_), loss, last_accuracy_, lr_now, rate, now});
      if (config_.progress) {
        std::printf("step %6ld/%ld | loss %.4f | acc %.4f | lr %.3e | %.0f %s | ETA %s\n", step_, config_.steps, loss,
                    last_accuracy_, lr_now, rate, unit, format_duration(eta).c_str());
        std::fflush(stdout);
      }
      window_start = now;
      window_steps = 0;
    }
    if (step_ % config_.eval_every == 0 || step_ == config_.steps) {
      last = evaluate();
      log_eval(last);
    }
    // stop_signal_ was agreed on by all ranks in this step, so every rank stops here together.
    const bool stop = stop_signal_ != 0 || step_ == stop_at_;
    if ((config_.checkpoint_every > 0 && step_ % config_.checkpoint_every == 0) || step_ == config_.steps || stop) {
      save_checkpoint();
      window_start = wall.elapsed();
      window_steps = 0;
    }
    if (stop && step_ < config_.steps) {
      if (comm_.is_root()) {
        const std::string why = stop_signal_ != 0 ? "received " + signal_name(stop_signal_) : "reached --stop-at";
        std::printf("stopped: %s; finished step %ld/%ld and wrote %s; continue with --resume latest\n", why.c_str(),
                    step_, config_.steps, last_checkpoint_.c_str());
        std::fflush(stdout);
      }
      return last;
    }
  }
  if (resumed_at_end()) {  // nothing to train: report the state
    if (comm_.is_root())
      std::printf("resume: the checkpoint is at step %ld, run.steps is %ld; nothing to train\n", step_, config_.steps);
    last = evaluate();
    log_eval(last);
  }
  print_summary(last, wall.elapsed());
  return last;
}

void Trainer::print_summary(const EvalResult& last, double seconds) {
  if (!comm_.is_root()) return;
  std::printf("done: %ld steps in %s | final val loss %.4f | val acc %.4f | certified Lipschitz bound %s\n", step_,
              format_duration(seconds).c_str(), last.loss, last.accuracy, last.bound.to_string().c_str());
  if (config_.bound_table)
    std::printf("certified bound budget at step %ld (running bound after each stage x the factor it applied):\n%s",
                step_, last.bound.budget_table().c_str());
  const StepTimes& t = train_step_->times();
  if (t.total() > 0) {  // not after a resume at run.steps, which trains nothing
    std::printf("time per phase:");
    for (int p = 0; p < StepTimes::kPhases; ++p)
      std::printf(" %s %.1f%%", StepTimes::names[size_t(p)], 100 * t.seconds[size_t(p)] / t.total());
    std::printf("\n");
  }
}

}  // namespace lip
