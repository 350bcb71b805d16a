// Checkpoint files (src/io/checkpoint): exact round trips of parameters, optimizer slabs and
// metadata; precise refusals of other models (tensor, expected and found shape), other formats
// and versions, missing optimizer state, truncated files and flipped bytes; a refused load leaves
// the model untouched; writing leaves no temporary file behind.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/error.hpp"
#include "io/checkpoint.hpp"
#include "io/hdf5_file.hpp"
#include "model/param_store.hpp"

namespace fs = std::filesystem;
using lip::ParamInfo;
using lip::ParamKind;
using lip::ParamStore;
using lip::kernels::Real;
using lip::kernels::Tensor1;

namespace {

ParamInfo tensor(const std::string& name, size_t rows, size_t cols, ParamKind kind = ParamKind::matrix) {
  ParamInfo p;
  p.name = name;
  p.rows = rows;
  p.cols = cols;
  p.kind = kind;
  p.target_norm = 0.5 + double(rows) / 7;
  return p;
}

// Odd shapes (1, 3, 17), an embedding, and padding between tensors.
std::vector<ParamInfo> small_model(size_t middle_cols = 5) {
  return {tensor("embed", 3, 17, ParamKind::embedding), tensor("mlp_in", 3, middle_cols), tensor("mlp_out", 1, 3)};
}

// Every slab entry a distinct, non-round value (tag selects the slab).
void fill(const Tensor1& slab, double tag) {
  auto h = Kokkos::create_mirror_view(slab);
  for (size_t i = 0; i < h.extent(0); ++i) h(i) = Real(tag + 0.001 * double(i) + 1e-7 * double(i * i % 13));
  Kokkos::deep_copy(slab, h);
}

std::vector<Real> host(const Tensor1& slab) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), slab);
  return std::vector<Real>(h.data(), h.data() + h.extent(0));
}

// Entries of the tensors only (padding excluded).
std::vector<Real> tensor_values(const ParamStore& store, const Tensor1& slab) {
  const auto all = host(slab);
  std::vector<Real> out;
  for (const auto& info : store.infos()) out.insert(out.end(), all.begin() + long(info.offset), all.begin() + long(info.offset + info.count()));
  return out;
}

bool bitwise_equal(const std::vector<Real>& a, const std::vector<Real>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Real)) == 0;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const lip::Error& e) {
    return e.what();
  }
  return "";
}

class CheckpointFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lip_test_checkpoint_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A checkpoint of small_model() with two optimizer slabs; returns the values written.
  struct Written {
    std::vector<Real> params, first, second;
  };
  Written write(const std::string& file) {
    ParamStore store(small_model());
    Tensor1 m("test::m", store.slab_size()), v("test::v", store.slab_size());
    fill(store.params_slab(), 1);
    fill(m, 2);
    fill(v, 3);
    lip::io::CheckpointMeta meta;
    meta.step = 42;
    meta.data_epoch = 3;
    meta.data_position = 7;
    meta.seed = 11;
    meta.data_seed = 5;
    meta.ranks = 2;
    meta.deck = "run.steps 100\noptim.lr 0.1\n";
    meta.version = "test-version";
    lip::io::write_checkpoint(file, store, {{"first_moment", m}, {"second_moment", v}}, meta);
    return {tensor_values(store, store.params_slab()), tensor_values(store, m), tensor_values(store, v)};
  }

  fs::path dir_;
};

TEST_F(CheckpointFile, RoundTripIsExact) {
  const auto written = write(path("a.h5"));
  EXPECT_FALSE(fs::exists(path("a.h5.tmp")));
  ParamStore store(small_model());
  Tensor1 m("test::m", store.slab_size()), v("test::v", store.slab_size());
  const auto meta = lip::io::read_checkpoint(path("a.h5"), store, {{"first_moment", m}, {"second_moment", v}});
  EXPECT_TRUE(bitwise_equal(tensor_values(store, store.params_slab()), written.params));
  EXPECT_TRUE(bitwise_equal(tensor_values(store, m), written.first));
  EXPECT_TRUE(bitwise_equal(tensor_values(store, v), written.second));
  EXPECT_EQ(meta.step, 42);
  EXPECT_EQ(meta.data_epoch, 3u);
  EXPECT_EQ(meta.data_position, 7u);
  EXPECT_EQ(meta.seed, 11u);
  EXPECT_EQ(meta.data_seed, 5u);
  EXPECT_EQ(meta.ranks, 2);
  EXPECT_EQ(meta.deck, "run.steps 100\noptim.lr 0.1\n");
  EXPECT_EQ(meta.version, "test-version");
  EXPECT_EQ(lip::io::checkpoint_state_names(path("a.h5")), (std::vector<std::string>{"first_moment", "second_moment"}));

  // Parameters alone (lip_generate), and overwriting an existing checkpoint atomically.
  ParamStore only(small_model());
  lip::io::read_checkpoint_parameters(path("a.h5"), only);
  EXPECT_TRUE(bitwise_equal(tensor_values(only, only.params_slab()), written.params));
  write(path("a.h5"));
  EXPECT_FALSE(fs::exists(path("a.h5.tmp")));
}

TEST_F(CheckpointFile, RefusesAnotherModelAndLeavesTheModelUntouched) {
  write(path("a.h5"));
  ParamStore wide(small_model(4));
  fill(wide.params_slab(), 9);
  const auto before = host(wide.params_slab());
  const std::string msg = error_of([&] { lip::io::read_checkpoint_parameters(path("a.h5"), wide); });
  EXPECT_NE(msg.find("'mlp_in'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected shape [3, 4], found [3, 5]"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path("a.h5")), std::string::npos) << msg;
  EXPECT_TRUE(bitwise_equal(host(wide.params_slab()), before));

  ParamStore renamed({tensor("embed", 3, 17, ParamKind::embedding), tensor("attn_v", 3, 5), tensor("mlp_out", 1, 3)});
  const std::string name_msg = error_of([&] { lip::io::read_checkpoint_parameters(path("a.h5"), renamed); });
  EXPECT_NE(name_msg.find("parameter 1 is 'mlp_in', the model expects 'attn_v'"), std::string::npos) << name_msg;

  ParamStore fewer({tensor("embed", 3, 17, ParamKind::embedding), tensor("mlp_in", 3, 5)});
  const std::string count_msg = error_of([&] { lip::io::read_checkpoint_parameters(path("a.h5"), fewer); });
  EXPECT_NE(count_msg.find("holds 3 parameter tensors, the model has 2"), std::string::npos) << count_msg;
}

TEST_F(CheckpointFile, RefusesMissingOptimizerState) {
  ParamStore store(small_model());
  Tensor1 m("test::m", store.slab_size());
  lip::io::CheckpointMeta meta;
  lip::io::write_checkpoint(path("sgd.h5"), store, {{"first_moment", m}, {"second_moment", Tensor1()}}, meta);
  EXPECT_EQ(lip::io::checkpoint_state_names(path("sgd.h5")), std::vector<std::string>{"first_moment"});
  Tensor1 v("test::v", store.slab_size());
  const std::string msg =
      error_of([&] { lip::io::read_checkpoint(path("sgd.h5"), store, {{"first_moment", m}, {"second_moment", v}}); });
  EXPECT_NE(msg.find("no optimizer state 'second_moment' (it holds: first_moment)"), std::string::npos) << msg;
}

TEST_F(CheckpointFile, RefusesOtherFormatsAndVersions) {
  {
    auto f = lip::io::Hdf5File::create(path("other.h5"));
    f.write_attr("/", "format", "lipschitz-image-classification");
    f.write_attr("/", "version", int64_t(1));
  }
  std::string msg = error_of([&] { lip::io::read_checkpoint_meta(path("other.h5")); });
  EXPECT_NE(msg.find("format attribute is 'lipschitz-image-classification', expected 'lipschitz-checkpoint'"),
            std::string::npos)
      << msg;
  {
    auto f = lip::io::Hdf5File::create(path("future.h5"));
    f.write_attr("/", "format", lip::io::kCheckpointFormat);
    f.write_attr("/", "version", int64_t(99));
  }
  msg = error_of([&] { lip::io::read_checkpoint_meta(path("future.h5")); });
  EXPECT_NE(msg.find("version 99, this reader supports version 2"), std::string::npos) << msg;
  { std::ofstream(path("text.h5")) << "not an HDF5 file\n"; }
  msg = error_of([&] { lip::io::read_checkpoint_meta(path("text.h5")); });
  EXPECT_NE(msg.find(path("text.h5")), std::string::npos) << msg;
}

TEST_F(CheckpointFile, RefusesTruncatedFiles) {
  write(path("a.h5"));
  const auto size = fs::file_size(path("a.h5"));
  for (const double keep : {0.0, 0.1, 0.5, 0.9, 0.99}) {
    fs::copy_file(path("a.h5"), path("cut.h5"), fs::copy_options::overwrite_existing);
    fs::resize_file(path("cut.h5"), uintmax_t(double(size) * keep));
    ParamStore store(small_model());
    const std::string msg = error_of([&] { lip::io::read_checkpoint_parameters(path("cut.h5"), store); });
    EXPECT_NE(msg.find("cut.h5"), std::string::npos) << "kept " << keep << " of the file: " << msg;
  }
}

// A flipped byte is reported (checksums of data and metadata) or provably harmless: the load then
// returns exactly the values written.
TEST_F(CheckpointFile, FlippedBytesAreReportedOrHarmless) {
  const auto written = write(path("a.h5"));
  std::vector<char> bytes(fs::file_size(path("a.h5")));
  std::ifstream(path("a.h5"), std::ios::binary).read(bytes.data(), long(bytes.size()));
  // The stored bytes of parameter "mlp_in" (3x5, float or double, little-endian) are in the file.
  const size_t first_param = 3 * 17;  // mlp_in follows the 3x17 embedding in written.params
  const char* needle = reinterpret_cast<const char*>(written.params.data() + first_param);
  const auto at = std::search(bytes.begin(), bytes.end(), needle, needle + 15 * sizeof(Real));
  ASSERT_NE(at, bytes.end()) << "the parameter bytes are not stored verbatim";
  std::vector<size_t> positions = {size_t(at - bytes.begin()) + 7};  // inside a parameter
  std::mt19937 rng(5);
  for (int k = 0; k < 120; ++k) positions.push_back(size_t(rng()) % bytes.size());
  int reported = 0;
  for (size_t k = 0; k < positions.size(); ++k) {
    auto flipped = bytes;
    flipped[positions[k]] = char(flipped[positions[k]] ^ 0x5a);
    std::ofstream(path("flip.h5"), std::ios::binary | std::ios::trunc).write(flipped.data(), long(flipped.size()));
    ParamStore store(small_model());
    Tensor1 m("test::m", store.slab_size()), v("test::v", store.slab_size());
    std::string msg;
    try {
      const auto meta = lip::io::read_checkpoint(path("flip.h5"), store, {{"first_moment", m}, {"second_moment", v}});
      EXPECT_EQ(meta.step, 42) << "byte " << positions[k];
      EXPECT_EQ(meta.deck, "run.steps 100\noptim.lr 0.1\n") << "byte " << positions[k];
      EXPECT_TRUE(bitwise_equal(tensor_values(store, store.params_slab()), written.params)) << "byte " << positions[k];
      EXPECT_TRUE(bitwise_equal(tensor_values(store, m), written.first)) << "byte " << positions[k];
      EXPECT_TRUE(bitwise_equal(tensor_values(store, v), written.second)) << "byte " << positions[k];
    } catch (const lip::Error& e) {
      msg = e.what();
      ++reported;
      EXPECT_NE(msg.find("flip.h5"), std::string::npos) << msg;
    }
    if (k == 0) EXPECT_NE(msg.find("Fletcher"), std::string::npos) << "a flipped parameter byte: " << msg;
  }
  EXPECT_GT(reported, 1);
  std::printf("%d of %zu flipped bytes reported, the others harmless\n", reported, positions.size());
}

}  // namespace
