// Hdf5File: exact round trips of every element type, shape/dtype checks and their messages,
// attributes, row reads, and clean lip::Errors for missing, foreign, truncated and damaged files.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>

#include "core/error.hpp"
#include "io/hdf5_file.hpp"
#include "support/test_files.hpp"

namespace fs = std::filesystem;
using lip::io::Hdf5File;

using lip::test::error_of;
using lip::test::TempDir;

namespace {

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void put_bytes(const std::string& path, const std::vector<char>& bytes, size_t count) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(count));
}

template <class T>
std::vector<T> ramp(size_t n, double scale) {
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = T(double(i) * scale);
  return v;
}

}  // namespace

// ==== datasets ===============================================================================

TEST(Hdf5File, RoundTripsEveryTypeExactly) {
  TempDir dir;
  const std::string path = dir.file("types.h5");
  const auto u8 = ramp<uint8_t>(3 * 17, 5.0);
  const auto u16 = ramp<uint16_t>(5, 13001.0);
  const auto u32 = ramp<uint32_t>(4, 1.0e9);
  const auto u64 = std::vector<uint64_t>{0, 1, uint64_t(1) << 63, ~uint64_t(0)};
  const auto i32 = std::vector<int32_t>{-2147483647 - 1, -1, 0, 1, 2147483647, 7};
  const auto i64 = std::vector<int64_t>{INT64_MIN, -3, INT64_MAX};
  const auto f32 = std::vector<float>{0.1f, -1e-38f, 3.4e38f, 1.0f / 3.0f, -0.0f};
  const auto f64 = std::vector<double>{0.1, 1e-308, -1.7e308, 1.0 / 3.0};
  {
    Hdf5File f = Hdf5File::create(path);
    EXPECT_TRUE(f.writable());
    f.write<uint8_t>("u8", {3, 17}, u8);
    f.write<uint16_t>("a/b/c/u16", {5}, u16);  // groups a, a/b, a/b/c created on demand
    f.write<uint32_t>("a/u32", {2, 2}, u32);
    f.write<uint64_t>("/a/b/u64", {4}, u64);
    f.write<int32_t>("i32", {1, 2, 3}, i32);
    f.write<int64_t>("i64", {3}, i64);
    f.write<float>("f32", {5}, f32);
    f.write<double>("f64", {4, 1}, f64);
  }
  const Hdf5File f = Hdf5File::open_read(path);
  EXPECT_FALSE(f.writable());
  EXPECT_EQ(f.read<uint8_t>("u8", {3, 17}), u8);
  EXPECT_EQ(f.read<uint16_t>("a/b/c/u16", {5}), u16);
  EXPECT_EQ(f.read<uint32_t>("a/u32", {2, 2}), u32);
  EXPECT_EQ(f.read<uint64_t>("a/b/u64", {4}), u64);
  EXPECT_EQ(f.read<int32_t>("i32", {1, 2, 3}), i32);
  EXPECT_EQ(f.read<int64_t>("i64", {3}), i64);
  const auto f32_back = f.read<float>("f32", {5});
  const auto f64_back = f.read<double>("f64", {4, 1});
  EXPECT_EQ(0, std::memcmp(f32_back.data(), f32.data(), f32.size() * sizeof(float)));  // bitwise, -0.0 included
  EXPECT_EQ(0, std::memcmp(f64_back.data(), f64.data(), f64.size() * sizeof(double)));
  EXPECT_EQ(f.dims("i32"), (std::vector<size_t>{1, 2, 3}));
  EXPECT_EQ(f.dtype("u8"), "uint8");
  EXPECT_EQ(f.dtype("a/b/c/u16"), "uint16");
  EXPECT_EQ(f.dtype("i64"), "int64");
  EXPECT_EQ(f.dtype("f32"), "float32");
  EXPECT_EQ(f.dtype("f64"), "float64");
  EXPECT_TRUE(f.has("a"));
  EXPECT_TRUE(f.has("/a/b/c"));
  EXPECT_TRUE(f.has("a/b/c/u16"));
  EXPECT_TRUE(f.has(""));
  EXPECT_FALSE(f.has("a/x"));
  EXPECT_FALSE(f.has("u8/below_a_dataset"));
  EXPECT_FALSE(f.has("nope/deeper"));
  // Wildcards accept any extent, and read_into fills caller memory.
  EXPECT_EQ(f.read<uint8_t>("u8", {Hdf5File::any, 17}), u8);
  std::vector<int64_t> into(3);
  f.read_into<int64_t>("i64", {3}, into.data(), into.size());
  EXPECT_EQ(into, i64);
}

TEST(Hdf5File, EmptyScalarAndMultiChunkDatasets) {
  TempDir dir;
  const std::string path = dir.file("shapes.h5");
  const double scalar = 2.5;
  const auto big = ramp<uint8_t>(3000 * 700, 1.0);  // several 512 KiB chunks
  {
    Hdf5File f = Hdf5File::create(path);
    f.write<float>("empty", {0, 4}, std::vector<float>{});
    f.write<double>("scalar", {}, &scalar);
    f.write<uint8_t>("big", {3000, 700}, big);
    f.create_group("just/a/group");
  }
  const Hdf5File f = Hdf5File::open_read(path);
  EXPECT_TRUE(f.read<float>("empty", {0, 4}).empty());
  EXPECT_EQ(f.dims("scalar"), std::vector<size_t>{});
  EXPECT_EQ(f.read<double>("scalar", {}), std::vector<double>{scalar});
  EXPECT_EQ(f.read<uint8_t>("big", {3000, 700}), big);
  EXPECT_TRUE(f.has("just/a/group"));
}

TEST(Hdf5File, ShapeAndDtypeMismatchesNameEverything) {
  TempDir dir;
  const std::string path = dir.file("mismatch.h5");
  {
    Hdf5File f = Hdf5File::create(path);
    f.write<uint8_t>("train/images", {3, 17}, ramp<uint8_t>(51, 1.0));
    f.write<float>("w", {2}, std::vector<float>{1, 2});
  }
  const Hdf5File f = Hdf5File::open_read(path);
  std::string msg = error_of([&] { f.read<uint8_t>("train/images", {3, 16}); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("'/train/images'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected uint8 [3, 16], found uint8 [3, 17]"), std::string::npos) << msg;

  msg = error_of([&] { f.read<float>("train/images", {3, 17}); });
  EXPECT_NE(msg.find("expected float32 [3, 17], found uint8 [3, 17]"), std::string::npos) << msg;
  msg = error_of([&] { f.read<double>("w", {2}); });
  EXPECT_NE(msg.find("expected float64 [2], found float32 [2]"), std::string::npos) << msg;
  msg = error_of([&] { f.read<uint8_t>("train/images", {3, 17, 1}); });
  EXPECT_NE(msg.find("expected uint8 [3, 17, 1], found uint8 [3, 17]"), std::string::npos) << msg;
  msg = error_of([&] { f.read<uint8_t>("train/labels", {3}); });
  EXPECT_NE(msg.find("'/train/labels': dataset not found (expected uint8 [3])"), std::string::npos) << msg;
  msg = error_of([&] { f.read<uint8_t>("train", {3}); });
  EXPECT_NE(msg.find("is a group, not a dataset"), std::string::npos) << msg;
  msg = error_of([&] { f.dims("nothing"); });
  EXPECT_NE(msg.find("'/nothing': dataset not found"), std::string::npos) << msg;
  std::vector<uint8_t> small(10);
  msg = error_of([&] { f.read_into<uint8_t>("train/images", {3, 17}, small.data(), small.size()); });
  EXPECT_NE(msg.find("destination holds 10 elements"), std::string::npos) << msg;
  // Every message is one line.
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(Hdf5File, WriteErrors) {
  TempDir dir;
  const std::string path = dir.file("w.h5");
  {
    Hdf5File f = Hdf5File::create(path);
    f.write<int32_t>("x", {2}, std::vector<int32_t>{1, 2});
    std::string msg = error_of([&] { f.write<int32_t>("x", {2}, std::vector<int32_t>{1, 2}); });
    EXPECT_NE(msg.find("'/x': already exists"), std::string::npos) << msg;
    msg = error_of([&] { f.write<int32_t>("y", {3}, std::vector<int32_t>{1, 2}); });
    EXPECT_NE(msg.find("shape [3] needs 3 elements, got 2"), std::string::npos) << msg;
  }
  Hdf5File g = Hdf5File::open_read(path);
  std::string msg = error_of([&] { g.write<int32_t>("z", {1}, std::vector<int32_t>{1}); });
  EXPECT_NE(msg.find("read-only"), std::string::npos) << msg;
  msg = error_of([&] { g.write_attr("/", "a", 1); });
  EXPECT_NE(msg.find("read-only"), std::string::npos) << msg;
  msg = error_of([&] { Hdf5File::create(dir.file("no/such/dir/x.h5")); });
  EXPECT_NE(msg.find("cannot create HDF5 file"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no/such/dir/x.h5"), std::string::npos) << msg;
}

TEST(Hdf5File, MovedFromFileIsClosed) {
  TempDir dir;
  Hdf5File a = Hdf5File::create(dir.file("m.h5"));
  a.write<int32_t>("x", {1}, std::vector<int32_t>{42});
  Hdf5File b = std::move(a);
  b.close();
  b.close();  // idempotent
  const Hdf5File c = Hdf5File::open_read(dir.file("m.h5"));
  EXPECT_EQ(c.read<int32_t>("x", {1}), std::vector<int32_t>{42});
}

// ==== row reads ==============================================================================

TEST(Hdf5File, ReadRowsReturnsTheRequestedSlice) {
  TempDir dir;
  const std::string path = dir.file("rows.h5");
  const auto small = ramp<int32_t>(10 * 3, 1.0);
  const auto big = ramp<uint8_t>(3000 * 700, 3.0);  // rows span chunk boundaries
  {
    Hdf5File f = Hdf5File::create(path);
    f.write<int32_t>("m", {10, 3}, small);
    f.write<uint8_t>("big", {3000, 700}, big);
    f.write<uint16_t>("v", {7}, ramp<uint16_t>(7, 2.0));
    const double s = 1;
    f.write<double>("s", {}, &s);
  }
  const Hdf5File f = Hdf5File::open_read(path);
  EXPECT_EQ(f.read_rows<int32_t>("m", 2, 3), std::vector<int32_t>(small.begin() + 6, small.begin() + 15));
  EXPECT_EQ(f.read_rows<int32_t>("m", 0, 10), small);
  EXPECT_TRUE(f.read_rows<int32_t>("m", 10, 0).empty());
  EXPECT_EQ(f.read_rows<uint16_t>("v", 6, 1), std::vector<uint16_t>{12});
  const auto slice = f.read_rows<uint8_t>("big", 500, 1700);
  EXPECT_EQ(slice, std::vector<uint8_t>(big.begin() + 500 * 700, big.begin() + 2200 * 700));
  std::vector<int32_t> out(6);
  f.read_rows<int32_t>("m", 8, 2, out.data(), out.size());
  EXPECT_EQ(out, std::vector<int32_t>(small.begin() + 24, small.end()));

  std::string msg = error_of([&] { f.read_rows<int32_t>("m", 8, 3); });
  EXPECT_NE(msg.find("rows [8, 11) requested"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has 10 rows"), std::string::npos) << msg;
  msg = error_of([&] { f.read_rows<float>("m", 0, 1); });
  EXPECT_NE(msg.find("expected float32, found int32 [10, 3]"), std::string::npos) << msg;
  msg = error_of([&] { f.read_rows<double>("s", 0, 1); });
  EXPECT_NE(msg.find("rank >= 1"), std::string::npos) << msg;
  msg = error_of([&] { f.read_rows<int32_t>("m", 0, 2, out.data(), 5); });
  EXPECT_NE(msg.find("destination holds 5 elements"), std::string::npos) << msg;
}

// ==== attributes =============================================================================

TEST(Hdf5File, AttributesOnRootGroupsAndDatasets) {
  TempDir dir;
  const std::string path = dir.file("attrs.h5");
  const std::string vocab = "\n !$&',-.3:;?ABCabc\x7f\x80\xff";
  {
    Hdf5File f = Hdf5File::create(path);
    f.write_attr("/", "format", "lipschitz-test");
    f.write_attr("", "version", 1);
    f.write_attr("/", "big", int64_t(1) << 40);
    f.write_attr("/", "pi", 3.141592653589793);
    f.write_attr("/", "empty", std::string());
    f.write_attr("/", "vocabulary", vocab);
    f.write_attr("/", "replaced", "old value that is longer");
    f.write_attr("/", "replaced", "new");
    f.write<uint8_t>("train/labels", {2}, std::vector<uint8_t>{1, 2});
    f.write_attr("train", "count", 2);
    f.write_attr("train/labels", "note", "per-dataset");
    const std::string msg = error_of([&] { f.write_attr("missing/group", "x", 1); });
    EXPECT_NE(msg.find("no such group or dataset"), std::string::npos) << msg;
  }
  const Hdf5File f = Hdf5File::open_read(path);
  EXPECT_EQ(f.read_attr_string("/", "format"), "lipschitz-test");
  EXPECT_EQ(f.read_attr_int("/", "version"), 1);
  EXPECT_EQ(f.read_attr_int("", "big"), int64_t(1) << 40);
  EXPECT_EQ(f.read_attr_double("/", "pi"), 3.141592653589793);
  EXPECT_EQ(f.read_attr_double("/", "version"), 1.0);  // integers convert to double
  EXPECT_EQ(f.read_attr_string("/", "empty"), "");
  EXPECT_EQ(f.read_attr_string("/", "vocabulary"), vocab);
  EXPECT_EQ(f.read_attr_string("/", "replaced"), "new");
  EXPECT_EQ(f.read_attr_int("train", "count"), 2);
  EXPECT_EQ(f.read_attr_string("/train/labels", "note"), "per-dataset");
  EXPECT_TRUE(f.has_attr("/", "format"));
  EXPECT_FALSE(f.has_attr("/", "nope"));
  EXPECT_FALSE(f.has_attr("nothing/here", "format"));

  std::string msg = error_of([&] { f.read_attr_int("/", "format"); });
  EXPECT_NE(msg.find("attribute 'format': expected an integer, found string"), std::string::npos) << msg;
  msg = error_of([&] { f.read_attr_string("/", "version"); });
  EXPECT_NE(msg.find("expected a string, found int64"), std::string::npos) << msg;
  msg = error_of([&] { f.read_attr_double("/", "format"); });
  EXPECT_NE(msg.find("expected a number, found string"), std::string::npos) << msg;
  msg = error_of([&] { f.read_attr_string("train", "format"); });
  EXPECT_NE(msg.find("'/train': attribute 'format' not found"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  msg = error_of([&] { f.read_attr_int("test", "count"); });
  EXPECT_NE(msg.find("'/test': no such group or dataset"), std::string::npos) << msg;
}

TEST(Hdf5File, ReadsVariableLengthStringsFromOtherWriters) {
  // h5py writes Python str attributes as variable-length UTF-8 strings.
  TempDir dir;
  const std::string path = dir.file("vlen.h5");
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attr = H5Acreate2(file, "format", type, space, H5P_DEFAULT, H5P_DEFAULT);
  const char* value = "lipschitz-reference";
  ASSERT_GE(H5Awrite(attr, type, &value), 0);
  H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(file);
  const Hdf5File f = Hdf5File::open_read(path);
  EXPECT_EQ(f.read_attr_string("/", "format"), "lipschitz-reference");
}

// ==== damaged files ==========================================================================

TEST(Hdf5File, MissingAndForeignFilesGiveCleanErrors) {
  TempDir dir;
  std::string msg = error_of([&] { Hdf5File::open_read(dir.file("absent.h5")); });
  EXPECT_NE(msg.find("absent.h5' does not exist"), std::string::npos) << msg;
  msg = error_of([&] { Hdf5File::open_read(dir.file("")); });
  EXPECT_NE(msg.find("is a directory"), std::string::npos) << msg;
  std::ofstream(dir.file("text.h5")) << "this is not HDF5\n";
  msg = error_of([&] { Hdf5File::open_read(dir.file("text.h5")); });
  EXPECT_NE(msg.find("is not an HDF5 file"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

namespace {

const std::vector<uint8_t> kPixels = ramp<uint8_t>(40 * 50, 13.0);
const std::vector<int64_t> kLabels = ramp<int64_t>(40, 1e12);

void write_sample(const std::string& path) {
  Hdf5File f = Hdf5File::create(path);
  f.write_attr("/", "format", "sample");
  f.write_attr("/", "version", 1);
  f.write<uint8_t>("train/images", {40, 50}, kPixels);
  f.write<int64_t>("train/labels", {40}, kLabels);
  f.write_attr("train", "count", 40);
}

//! Reads everything in the sample; true when it all matches, false when anything differs;
//! HDF5 trouble surfaces as lip::Error.
bool sample_reads_back(const std::string& path) {
  const Hdf5File f = Hdf5File::open_read(path);
  return f.read_attr_string("/", "format") == "sample" && f.read_attr_int("/", "version") == 1 &&
         f.read<uint8_t>("train/images", {40, 50}) == kPixels && f.read<int64_t>("train/labels", {40}) == kLabels &&
         f.read_rows<uint8_t>("train/images", 10, 5) ==
             std::vector<uint8_t>(kPixels.begin() + 500, kPixels.begin() + 750) &&
         f.read_attr_int("train", "count") == 40;
}

}  // namespace

TEST(Hdf5File, TruncatedFilesAreRejected) {
  TempDir dir;
  const std::string good = dir.file("good.h5"), bad = dir.file("bad.h5");
  write_sample(good);
  ASSERT_TRUE(sample_reads_back(good));
  const std::vector<char> bytes = file_bytes(good);
  for (size_t keep : {size_t(0), size_t(7), size_t(100), bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    put_bytes(bad, bytes, keep);
    const std::string msg = error_of([&] { sample_reads_back(bad); });
    EXPECT_NE(msg.find(bad), std::string::npos) << "kept " << keep << " bytes: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  put_bytes(bad, bytes, bytes.size() / 2);
  const std::string msg = error_of([&] { Hdf5File::open_read(bad); });
  EXPECT_NE(msg.find("truncated or corrupt"), std::string::npos) << msg;
}

TEST(Hdf5File, FlippedBytesAreDetectedOrHarmless) {
  // Metadata carries checksums (v1.10 format) and data chunks carry Fletcher-32, so flipping any
  // byte either raises a clean lip::Error or leaves everything that is read back intact (the byte
  // was unused). Never wrong data, never a crash.
  TempDir dir;
  const std::string good = dir.file("good.h5"), bad = dir.file("bad.h5");
  write_sample(good);
  const std::vector<char> bytes = file_bytes(good);
  size_t detected = 0, harmless = 0;
  for (size_t pos = 0; pos < bytes.size(); pos += 4) {
    std::vector<char> damaged = bytes;
    damaged[pos] = char(damaged[pos] ^ 0x5a);
    put_bytes(bad, damaged, damaged.size());
    try {
      ASSERT_TRUE(sample_reads_back(bad)) << "flipping byte " << pos << " of " << bytes.size()
                                          << " changed the data without an error";
      ++harmless;
    } catch (const lip::Error& e) {
      ++detected;
      ASSERT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(detected, 0u);
  // The signature and the data region specifically.
  for (size_t pos : {size_t(0), size_t(3), size_t(9)}) {
    std::vector<char> damaged = bytes;
    damaged[pos] = char(damaged[pos] ^ 0xff);
    put_bytes(bad, damaged, damaged.size());
    error_of([&] { sample_reads_back(bad); });
  }
  const std::vector<char> pattern(kPixels.begin() + 100, kPixels.begin() + 140);
  const auto data_at = std::search(bytes.begin(), bytes.end(), pattern.begin(), pattern.end());
  ASSERT_NE(data_at, bytes.end());
  std::vector<char> damaged = bytes;
  damaged[size_t(data_at - bytes.begin())] ^= 1;
  put_bytes(bad, damaged, damaged.size());
  const std::string msg = error_of([&] { sample_reads_back(bad); });
  EXPECT_NE(msg.find("Fletcher32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'/train/images'"), std::string::npos) << msg;
}
