#include "io/checkpoint.hpp"

#include <cstdio>
#include <sstream>
#include <type_traits>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/hdf5_file.hpp"

namespace lip::io {

namespace {

constexpr const char* kRngNote =
    "philox4x32-10; projection draws keyed by (seed, step), data order by (data_seed, data_epoch): "
    "step and data cursor are the whole RNG state";

std::string real_dtype() { return std::is_same<kernels::Real, double>::value ? "float64" : "float32"; }

std::string kind_name(ParamKind k) {
  switch (k) {
    case ParamKind::embedding: return "embedding";
    case ParamKind::unembedding: return "unembedding";
    case ParamKind::matrix: break;
  }
  return "matrix";
}

std::string dataset_name(const std::string& group, const ParamStore& params, size_t i) {
  return group + "/" + std::to_string(i) + "_" + params.info(i).name;
}

std::vector<kernels::Real> host_copy(const kernels::MatrixView& m) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), m);
  std::vector<kernels::Real> out(m.extent(0) * m.extent(1));
  for (size_t i = 0; i < m.extent(0); ++i)
    for (size_t j = 0; j < m.extent(1); ++j) out[i * m.extent(1) + j] = h(i, j);
  return out;
}

void copy_to_device(const std::vector<kernels::Real>& values, const kernels::MatrixView& dst) {
  auto h = Kokkos::create_mirror_view(dst);
  for (size_t i = 0; i < dst.extent(0); ++i)
    for (size_t j = 0; j < dst.extent(1); ++j) h(i, j) = values[i * dst.extent(1) + j];
  Kokkos::deep_copy(dst, h);
}

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream is(s);
  std::vector<std::string> out;
  for (std::string w; is >> w;) out.push_back(w);
  return out;
}

// Checks format and version of an open checkpoint.
void check_format(const Hdf5File& f) {
  const std::string& path = f.path();
  LIP_REQUIRE(f.has_attr("/", "format"), "checkpoint " << path << " has no `format` attribute; it is not a "
                                                       << kCheckpointFormat << " file");
  const std::string format = f.read_attr_string("/", "format");
  LIP_REQUIRE(format == kCheckpointFormat,
              "checkpoint " << path << ": format attribute is '" << format << "', expected '" << kCheckpointFormat << "'");
  const int64_t version = f.read_attr_int("/", "version");
  LIP_REQUIRE(version == kCheckpointVersion, "checkpoint " << path << ": version " << version
                                                           << ", this reader supports version " << kCheckpointVersion
                                                           << " only");
}

// Validates dataset `name` against tensor i of `params` and reads it to host memory.
std::vector<kernels::Real> read_tensor(const Hdf5File& f, const std::string& name, const ParamStore& params, size_t i,
                                       const char* what) {
  const auto& info = params.info(i);
  const std::vector<size_t> expected = {info.rows, info.cols};
  LIP_REQUIRE(f.has(name), "checkpoint " << f.path() << ": " << what << " tensor " << i << " '" << info.name
                                         << "' (dataset /" << name << ") is missing; it was written for another model");
  const auto found = f.dims(name);
  LIP_REQUIRE(found == expected, "checkpoint " << f.path() << ": " << what << " tensor " << i << " '" << info.name
                                               << "': expected shape " << shape_string(expected) << ", found "
                                               << shape_string(found)
                                               << " (the deck's model sizes differ from the run that wrote it)");
  const std::string dtype = f.dtype(name);
  LIP_REQUIRE(dtype == real_dtype(), "checkpoint " << f.path() << ": " << what << " tensor '" << info.name
                                                   << "' is " << dtype << ", this build computes in " << real_dtype()
                                                   << " (LIP_REAL)");
  return f.read<kernels::Real>(name, expected);
}

// Reads and validates every parameter of `params` into host buffers (nothing touches the model).
std::vector<std::vector<kernels::Real>> read_all(const Hdf5File& f, const std::string& group, const ParamStore& params,
                                                 const char* what) {
  std::vector<std::vector<kernels::Real>> out;
  for (size_t i = 0; i < params.num_tensors(); ++i) out.push_back(read_tensor(f, dataset_name(group, params, i), params, i, what));
  return out;
}

void check_tensor_table(const Hdf5File& f, const ParamStore& params) {
  const int64_t n = f.read_attr_int("/", "num_tensors");
  LIP_REQUIRE(size_t(n) == params.num_tensors(), "checkpoint " << f.path() << " holds " << n
                                                               << " parameter tensors, the model has "
                                                               << params.num_tensors());
  const auto stored = split_words(f.read_attr_string("/", "tensor_names"));
  LIP_REQUIRE(stored.size() == size_t(n), "checkpoint " << f.path() << ": tensor_names lists " << stored.size()
                                                        << " names for " << n << " tensors");
  for (size_t i = 0; i < params.num_tensors(); ++i)
    LIP_REQUIRE(stored[i] == params.info(i).name, "checkpoint " << f.path() << ": parameter " << i << " is '"
                                                                << stored[i] << "', the model expects '"
                                                                << params.info(i).name << "'");
}

}  // namespace

void write_checkpoint(const std::string& path, const ParamStore& params, const std::vector<CheckpointSlab>& state,
                      const CheckpointMeta& meta) {
  const std::string tmp = temporary_path_for(path);
  {
    Hdf5File f = Hdf5File::create(tmp);
    f.write_attr("/", "format", kCheckpointFormat);
    f.write_attr("/", "version", kCheckpointVersion);
    f.write_attr("/", "step", int64_t(meta.step));
    f.write_attr("/", "data_epoch", int64_t(meta.data_epoch));
    f.write_attr("/", "data_position", int64_t(meta.data_position));
    f.write_attr("/", "seed", int64_t(meta.seed));
    f.write_attr("/", "data_seed", int64_t(meta.data_seed));
    f.write_attr("/", "rng", kRngNote);
    f.write_attr("/", "ranks", int64_t(meta.ranks));
    f.write_attr("/", "deck", meta.deck);
    f.write_attr("/", "code_version", meta.version);
    f.write_attr("/", "real", real_dtype());
    f.write_attr("/", "num_tensors", int64_t(params.num_tensors()));
    std::string names;
    for (const auto& info : params.infos()) names += (names.empty() ? "" : "\n") + info.name;
    f.write_attr("/", "tensor_names", names);
    f.create_group("params");
    for (size_t i = 0; i < params.num_tensors(); ++i) {
      const auto& info = params.info(i);
      const std::string name = dataset_name("params", params, i);
      f.write<kernels::Real>(name, {info.rows, info.cols}, host_copy(params.param(i)));
      f.write_attr(name, "name", info.name);
      f.write_attr(name, "kind", kind_name(info.kind));
      f.write_attr(name, "group", info.group());
      f.write_attr(name, "target_norm", info.target_norm);
    }
    std::string stored;
    for (const auto& s : state) {
      if (!s.slab.data()) continue;
      LIP_REQUIRE(s.slab.extent(0) == params.slab_size(), "write_checkpoint: optimizer slab '"
                                                              << s.name << "' has " << s.slab.extent(0)
                                                              << " entries, the parameter slab " << params.slab_size());
      const std::string group = "optimizer/" + s.name;
      f.create_group(group);
      for (size_t i = 0; i < params.num_tensors(); ++i)
        f.write<kernels::Real>(dataset_name(group, params, i), {params.info(i).rows, params.info(i).cols},
                               host_copy(params.view_of(s.slab, i)));
      stored += (stored.empty() ? "" : " ") + s.name;
    }
    f.write_attr("/", "optimizer_state", stored);
    f.close();
  }
  commit_atomically(tmp, path);
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  Hdf5File f = Hdf5File::open_read(path);
  check_format(f);
  CheckpointMeta m;
  m.step = long(f.read_attr_int("/", "step"));
  m.data_epoch = uint64_t(f.read_attr_int("/", "data_epoch"));
  m.data_position = uint64_t(f.read_attr_int("/", "data_position"));
  m.seed = uint64_t(f.read_attr_int("/", "seed"));
  m.data_seed = uint64_t(f.read_attr_int("/", "data_seed"));
  m.ranks = int(f.read_attr_int("/", "ranks"));
  m.deck = f.read_attr_string("/", "deck");
  m.version = f.read_attr_string("/", "code_version");
  LIP_REQUIRE(m.step >= 0, "checkpoint " << path << ": step attribute is " << m.step << ", expected >= 0");
  return m;
}

std::vector<std::string> checkpoint_state_names(const std::string& path) {
  Hdf5File f = Hdf5File::open_read(path);
  check_format(f);
  return split_words(f.read_attr_string("/", "optimizer_state"));
}

void read_checkpoint_parameters(const std::string& path, const ParamStore& params) {
  read_checkpoint(path, params, {});
}

CheckpointMeta read_checkpoint(const std::string& path, const ParamStore& params,
                               const std::vector<CheckpointSlab>& state) {
  const CheckpointMeta meta = read_checkpoint_meta(path);
  Hdf5File f = Hdf5File::open_read(path);
  check_tensor_table(f, params);
  const auto values = read_all(f, "params", params, "parameter");
  const auto stored = split_words(f.read_attr_string("/", "optimizer_state"));
  std::vector<std::vector<std::vector<kernels::Real>>> slabs;
  for (const auto& s : state) {
    LIP_REQUIRE(s.slab.extent(0) == params.slab_size(), "read_checkpoint: optimizer slab '"
                                                            << s.name << "' has " << s.slab.extent(0)
                                                            << " entries, the parameter slab " << params.slab_size());
    bool present = false;
    for (const auto& n : stored) present = present || n == s.name;
    std::string list;
    for (const auto& n : stored) list += (list.empty() ? "" : ", ") + n;
    LIP_REQUIRE(present, "checkpoint " << path << " holds no optimizer state '" << s.name << "' (it holds: "
                                       << (list.empty() ? "none" : list)
                                       << "); the deck's optimizer differs from the run that wrote it");
    slabs.push_back(read_all(f, "optimizer/" + s.name, params, ("optimizer " + s.name).c_str()));
  }
  // Everything validated: only now touch the model.
  for (size_t i = 0; i < params.num_tensors(); ++i) copy_to_device(values[i], params.param(i));
  for (size_t s = 0; s < state.size(); ++s)
    for (size_t i = 0; i < params.num_tensors(); ++i) copy_to_device(slabs[s][i], params.view_of(state[s].slab, i));
  return meta;
}

}  // namespace lip::io
