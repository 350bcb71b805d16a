#include "io/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "io/hdf5_file.hpp"

namespace lip::io {

namespace {

std::vector<kernels::Real> host_copy(const kernels::MatrixView& m) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), m);
  std::vector<kernels::Real> out(m.span());
  for (size_t i = 0; i < m.extent(0); ++i)
    for (size_t j = 0; j < m.extent(1); ++j) out[i * m.extent(1) + j] = h(i, j);
  return out;
}

void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  LIP_REQUIRE(fd >= 0, "cannot reopen " << path << " to flush it to disk");
  const int rc = ::fsync(fd);
  ::close(fd);
  LIP_REQUIRE(rc == 0, "fsync of " << path << " failed");
}

}  // namespace

void write_checkpoint(const std::string& path, const ParamStore& params, const std::vector<kernels::Tensor1>& state,
                      const std::vector<std::string>& state_names, const CheckpointMeta& meta) {
  const std::string tmp = path + ".tmp";
  {
    Hdf5File f = Hdf5File::create(tmp);
    f.write_attr("/", "format", kCheckpointFormat);
    f.write_attr("/", "version", kCheckpointVersion);
    f.write_attr("/", "step", int64_t(meta.step));
    f.write_attr("/", "data_epoch", int64_t(meta.data_epoch));
    f.write_attr("/", "data_position", int64_t(meta.data_position));
    f.write_attr("/", "deck", meta.deck);
    f.write_attr("/", "code_version", meta.version);
    f.write_attr("/", "num_tensors", int64_t(params.num_tensors()));
    f.create_group("params");
    for (size_t i = 0; i < params.num_tensors(); ++i) {
      const auto& info = params.info(i);
      const std::string name = "params/" + std::to_string(i) + "_" + info.name;
      f.write<kernels::Real>(name, {info.rows, info.cols}, host_copy(params.param(i)));
      f.write_attr(name, "name", info.name);
      f.write_attr(name, "target_norm", info.target_norm);
    }
    for (size_t s = 0; s < state.size(); ++s) {
      if (!state[s].data()) continue;
      f.create_group(state_names[s]);
      for (size_t i = 0; i < params.num_tensors(); ++i) {
        const std::string name = state_names[s] + "/" + std::to_string(i) + "_" + params.info(i).name;
        f.write<kernels::Real>(name, {params.info(i).rows, params.info(i).cols}, host_copy(params.view_of(state[s], i)));
      }
    }
    f.close();
  }
  fsync_path(tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  LIP_REQUIRE(!ec, "cannot rename " << tmp << " to " << path << ": " << ec.message());
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) fsync_path(dir.string());
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  Hdf5File f = Hdf5File::open_read(path);
  const std::string format = f.read_attr_string("/", "format");
  LIP_REQUIRE(format == kCheckpointFormat,
              "checkpoint " << path << ": format attribute is '" << format << "', expected '" << kCheckpointFormat << "'");
  const int64_t version = f.read_attr_int("/", "version");
  LIP_REQUIRE(version == kCheckpointVersion,
              "checkpoint " << path << ": version " << version << ", this reader supports " << kCheckpointVersion);
  CheckpointMeta m;
  m.step = long(f.read_attr_int("/", "step"));
  m.data_epoch = uint64_t(f.read_attr_int("/", "data_epoch"));
  m.data_position = uint64_t(f.read_attr_int("/", "data_position"));
  m.deck = f.read_attr_string("/", "deck");
  m.version = f.read_attr_string("/", "code_version");
  return m;
}

namespace {
void read_matrix(const Hdf5File& f, const std::string& name, const kernels::MatrixView& dst) {
  LIP_REQUIRE(f.has(name), "checkpoint " << f.path() << " has no dataset '" << name
                                         << "'; it was written for a different model");
  const auto values = f.read<kernels::Real>(name, {dst.extent(0), dst.extent(1)});
  auto h = Kokkos::create_mirror_view(dst);
  for (size_t i = 0; i < dst.extent(0); ++i)
    for (size_t j = 0; j < dst.extent(1); ++j) h(i, j) = kernels::Real(values[i * dst.extent(1) + j]);
  Kokkos::deep_copy(dst, h);
}
}  // namespace

void read_checkpoint_parameters(const std::string& path, const ParamStore& params) {
  read_checkpoint_meta(path);
  Hdf5File f = Hdf5File::open_read(path);
  const int64_t n = f.read_attr_int("/", "num_tensors");
  LIP_REQUIRE(size_t(n) == params.num_tensors(),
              "checkpoint " << path << " holds " << n << " tensors, the model has " << params.num_tensors());
  for (size_t i = 0; i < params.num_tensors(); ++i)
    read_matrix(f, "params/" + std::to_string(i) + "_" + params.info(i).name, params.param(i));
}

void read_checkpoint_state(const std::string& path, const ParamStore& params, const std::string& name,
                           const kernels::Tensor1& slab) {
  Hdf5File f = Hdf5File::open_read(path);
  for (size_t i = 0; i < params.num_tensors(); ++i)
    read_matrix(f, name + "/" + std::to_string(i) + "_" + params.info(i).name, params.view_of(slab, i));
}

}  // namespace lip::io
