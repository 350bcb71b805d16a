// Dataset writing, loading and validation (image classification, char tokens) and the ImageBatcher:
// permutations, dropped last batch, pixel/255 in HWC order, fixed-order evaluation batches and
// cursor save/restore. All files are small synthetic ones written here.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>

#include "core/error.hpp"
#include "io/data_paths.hpp"
#include "io/hdf5_file.hpp"
#include "io/image_dataset.hpp"
#include "kernels/rng.hpp"
#include "support/test_files.hpp"

namespace fs = std::filesystem;
namespace k = lip::kernels;
using lip::io::Hdf5File;
using lip::io::ImageBatcher;
using lip::io::ImageDataset;

using lip::test::error_of;
using lip::test::TempDir;

namespace {

// Synthetic image set: N = 7 images of (H, W, C) = (2, 3, 2), 4 classes.
constexpr size_t N = 7, H = 2, W = 3, C = 2, F = H * W * C, kClasses = 4;

uint8_t pixel(size_t image, size_t h, size_t w, size_t c) {
  return uint8_t((image * 37 + h * 11 + w * 5 + c * 3) % 256);
}

std::vector<uint8_t> synthetic_pixels() {
  std::vector<uint8_t> p(N * F);
  for (size_t i = 0; i < N; ++i)
    for (size_t h = 0; h < H; ++h)
      for (size_t w = 0; w < W; ++w)
        for (size_t c = 0; c < C; ++c) p[i * F + (h * W + w) * C + c] = pixel(i, h, w, c);
  return p;
}

std::vector<uint8_t> synthetic_labels() {
  std::vector<uint8_t> l(N);
  for (size_t i = 0; i < N; ++i) l[i] = uint8_t((i * 3) % kClasses);
  return l;
}

//! Writes a valid image file, then lets `edit` spoil it.
std::string write_images(const TempDir& dir, const std::string& name,
                         const std::function<void(Hdf5File&)>& edit = {}, bool write_train = true) {
  const std::string path = dir.file(name);
  Hdf5File f = Hdf5File::create(path);
  if (!edit || write_train) {
    f.write<uint8_t>("train/images", {N, H, W, C}, synthetic_pixels());
    f.write<uint8_t>("train/labels", {N}, synthetic_labels());
  }
  f.write<uint8_t>("test/images", {2, H, W, C}, std::vector<uint8_t>(2 * F, 255));
  f.write<uint8_t>("test/labels", {2}, std::vector<uint8_t>{3, 0});
  f.write_attr("/", "format", "lipschitz-image-classification");
  f.write_attr("/", "version", 1);
  f.write_attr("/", "num_classes", int64_t(kClasses));
  f.write_attr("/", "source", "synthetic");
  if (edit) edit(f);
  return path;
}

std::vector<float> host_x(const k::Tensor2& x) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), x);
  return std::vector<float>(h.data(), h.data() + h.size());
}

std::vector<int> host_y(const k::IndexTensor1& y) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), y);
  return std::vector<int>(h.data(), h.data() + h.size());
}

//! The expected batch for image indices `ids`: pixel/255 in (h*W + w)*C + c order, labels.
void expect_batch(const std::vector<uint32_t>& ids, const k::Tensor2& x, const k::IndexTensor1& y) {
  const auto xs = host_x(x);
  const auto ys = host_y(y);
  const auto labels = synthetic_labels();
  ASSERT_EQ(ys.size(), ids.size());
  for (size_t b = 0; b < ids.size(); ++b) {
    EXPECT_EQ(ys[b], int(labels[ids[b]])) << "batch row " << b;
    for (size_t h = 0; h < H; ++h)
      for (size_t w = 0; w < W; ++w)
        for (size_t c = 0; c < C; ++c)
          ASSERT_EQ(xs[b * F + (h * W + w) * C + c], k::Real(pixel(ids[b], h, w, c)) / k::Real(255))
              << "row " << b << " image " << ids[b] << " (h, w, c) = (" << h << ", " << w << ", " << c << ")";
  }
}

}  // namespace

// ==== loading ================================================================================

TEST(ImageDataset, LoadsBothSplits) {
  TempDir dir;
  const std::string path = write_images(dir, "ok.h5");
  const ImageDataset train = lip::io::load_image_dataset(path, "train");
  EXPECT_EQ(train.path, path);
  EXPECT_EQ(train.split, "train");
  EXPECT_EQ(train.count, N);
  EXPECT_EQ(train.height, H);
  EXPECT_EQ(train.width, W);
  EXPECT_EQ(train.channels, C);
  EXPECT_EQ(train.num_classes, kClasses);
  EXPECT_EQ(train.features(), F);
  EXPECT_EQ(train.pixels, synthetic_pixels());
  EXPECT_EQ(train.labels, synthetic_labels());
  const ImageDataset test = lip::io::load_image_dataset(path, "test");
  EXPECT_EQ(test.count, 2u);
  EXPECT_EQ(test.labels, (std::vector<uint8_t>{3, 0}));
}

TEST(ImageDataset, RejectsInvalidFilesWithClearMessages) {
  TempDir dir;
  struct Case {
    const char* name;
    std::function<void(Hdf5File&)> edit;
    const char* split;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"format", [](Hdf5File& f) { f.write_attr("/", "format", "lipschitz-char-tokens"); }, "train",
       "root attribute 'format' is \"lipschitz-char-tokens\", expected \"lipschitz-image-classification\""},
      {"version", [](Hdf5File& f) { f.write_attr("/", "version", 2); }, "train",
       "root attribute 'version' is 2, this reader supports version 1"},
      {"classes", [](Hdf5File& f) { f.write_attr("/", "num_classes", 0); }, "train",
       "root attribute 'num_classes' is 0, expected 1..256"},
      {"label_range", [](Hdf5File& f) { f.write_attr("/", "num_classes", 2); }, "train",
       "'/train/labels': label 3 at index 1 is out of range, expected < num_classes = 2"},
      {"split", {}, "val", "split must be \"train\" or \"test\", got \"val\""},
      {"label_count",
       [](Hdf5File& f) {
         f.write<uint8_t>("train/images", {N, H, W, C}, synthetic_pixels());
         f.write<uint8_t>("train/labels", {N - 1}, std::vector<uint8_t>(N - 1, 0));
       },
       "train", "'/train/labels': expected 7 labels (one per image of [7, 2, 3, 2]), found shape [6]"},
      {"dtype",
       [](Hdf5File& f) {
         f.write<uint16_t>("train/images", {N, H, W, C}, std::vector<uint16_t>(N * F, 0));
         f.write<uint8_t>("train/labels", {N}, synthetic_labels());
       },
       "train", "'/train/images': expected uint8 [*, *, *, *], found uint16 [7, 2, 3, 2]"},
      {"rank",
       [](Hdf5File& f) {
         f.write<uint8_t>("train/images", {N, F}, synthetic_pixels());
         f.write<uint8_t>("train/labels", {N}, synthetic_labels());
       },
       "train", "'/train/images': expected uint8 [*, *, *, *], found uint8 [7, 12]"},
      {"no_labels", [](Hdf5File& f) { f.write<uint8_t>("train/images", {N, H, W, C}, synthetic_pixels()); }, "train",
       "'/train/labels': dataset not found"},
      {"no_split", [](Hdf5File&) {}, "train", "group '/train' not found"},
  };
  for (const Case& c : cases) {
    const bool edits_train = std::string(c.name) == "label_count" || std::string(c.name) == "dtype" ||
                             std::string(c.name) == "rank" || std::string(c.name) == "no_labels" ||
                             std::string(c.name) == "no_split";
    const std::string path = write_images(dir, std::string(c.name) + ".h5", c.edit, !edits_train);
    const std::string msg = error_of([&] { lip::io::load_image_dataset(path, c.split); });
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.name << ": " << msg;
    if (std::string(c.name) != "split") EXPECT_NE(msg.find(path), std::string::npos) << c.name << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // A file that is not one of ours at all.
  const std::string foreign = dir.file("foreign.h5");
  { Hdf5File::create(foreign).write<float>("x", {1}, std::vector<float>{1}); }
  const std::string msg = error_of([&] { lip::io::load_image_dataset(foreign, "train"); });
  EXPECT_NE(msg.find("root attribute 'format' missing"), std::string::npos) << msg;
}

TEST(CharTokens, LoadsAndValidates) {
  TempDir dir;
  const std::string vocab = "\n !abc";
  auto write = [&](const std::string& name, const std::string& v, int64_t vocab_size, std::vector<uint16_t> train) {
    const std::string path = dir.file(name);
    Hdf5File f = Hdf5File::create(path);
    f.write_attr("/", "format", "lipschitz-char-tokens");
    f.write_attr("/", "version", 1);
    f.write_attr("/", "vocabulary", v);
    f.write_attr("/", "vocab_size", vocab_size);
    f.write<uint16_t>("train/tokens", {train.size()}, train);
    f.write<uint16_t>("val/tokens", {2}, std::vector<uint16_t>{5, 0});
    return path;
  };
  const std::string ok = write("ok.h5", vocab, 6, {0, 1, 2, 3, 4, 5, 5});
  const auto train = lip::io::load_char_tokens(ok, "train");
  EXPECT_EQ(train.vocabulary, vocab);
  EXPECT_EQ(train.vocab_size, 6u);
  EXPECT_EQ(train.tokens, (std::vector<uint16_t>{0, 1, 2, 3, 4, 5, 5}));
  EXPECT_EQ(lip::io::load_char_tokens(ok, "val").tokens, (std::vector<uint16_t>{5, 0}));

  std::string msg = error_of([&] { lip::io::load_char_tokens(write("range.h5", vocab, 6, {0, 6}), "train"); });
  EXPECT_NE(msg.find("'/train/tokens': token 6 at index 1 is out of range, expected < vocab_size = 6"),
            std::string::npos)
      << msg;
  msg = error_of([&] { lip::io::load_char_tokens(write("vocab.h5", "\n !ab", 6, {0}), "train"); });
  EXPECT_NE(msg.find("root attribute 'vocabulary' has 5 bytes, expected vocab_size = 6"), std::string::npos) << msg;
  msg = error_of([&] { lip::io::load_char_tokens(ok, "test"); });
  EXPECT_NE(msg.find("split must be \"train\" or \"val\", got \"test\""), std::string::npos) << msg;
  msg = error_of([&] { lip::io::load_char_tokens(write_images(dir, "images.h5"), "train"); });
  EXPECT_NE(msg.find("expected \"lipschitz-char-tokens\""), std::string::npos) << msg;
}

// ==== writing ================================================================================

TEST(DatasetWriters, WhatIsWrittenLoadsBack) {
  TempDir dir;
  lip::io::ImageDatasetFile images;
  images.source = "synthetic";
  images.layout = "idx";
  images.class_names = "a\nb\nc\nd";
  images.height = H, images.width = W, images.channels = C, images.num_classes = kClasses;
  images.train = {N, synthetic_pixels(), synthetic_labels(), "4 3"};
  images.test = {2, std::vector<uint8_t>(2 * F, 255), {3, 0}, ""};
  const std::string image_path = dir.file("images.h5");
  lip::io::write_image_dataset(image_path, images);
  const ImageDataset train = lip::io::load_image_dataset(image_path, "train");
  EXPECT_EQ(train.count, N);
  EXPECT_EQ(train.features(), F);
  EXPECT_EQ(train.num_classes, kClasses);
  EXPECT_EQ(train.pixels, synthetic_pixels());
  EXPECT_EQ(train.labels, synthetic_labels());
  EXPECT_EQ(lip::io::load_image_dataset(image_path, "test").labels, (std::vector<uint8_t>{3, 0}));
  const Hdf5File f = Hdf5File::open_read(image_path);
  EXPECT_EQ(f.read_attr_string("/", "class_names"), "a\nb\nc\nd");
  EXPECT_EQ(f.read_attr_string("train", "batch_counts"), "4 3");
  EXPECT_FALSE(f.has_attr("test", "batch_counts"));  // optional attributes are left out when empty
  EXPECT_EQ(f.read_attr_int("test", "count"), 2);

  const lip::io::CharTokenFile chars{"synthetic text", "\n !abc", {0, 1, 2, 3, 4, 5, 5}, {5, 0}};
  const std::string char_path = dir.file("chars.h5");
  lip::io::write_char_tokens(char_path, chars);
  const auto tokens = lip::io::load_char_tokens(char_path, "train");
  EXPECT_EQ(tokens.vocabulary, chars.vocabulary);
  EXPECT_EQ(tokens.vocab_size, 6u);
  EXPECT_EQ(tokens.tokens, chars.train);
  EXPECT_EQ(lip::io::load_char_tokens(char_path, "val").tokens, chars.val);
}

// ==== data search paths =====================================================================

TEST(DataPaths, SearchOrderAndMessages) {
  TempDir deck, env;
  fs::create_directories(env.file("raw/toyset"));
  fs::create_directories(deck.file("toyset"));
  { std::ofstream(env.file("lip_toy_data.h5")) << "x"; }
  { std::ofstream(deck.file("lip_toy_data.h5")) << "x"; }
  { std::ofstream(env.file("only_env.h5")) << "x"; }
  const char* old = std::getenv("LIP_DATA_DIR");
  const std::string saved = old ? old : "";
  setenv("LIP_DATA_DIR", env.file("").c_str(), 1);

  // The deck directory wins over $LIP_DATA_DIR, which is next.
  auto clean = [](const std::string& p) { return fs::path(p).lexically_normal().string(); };
  EXPECT_EQ(lip::io::resolve_data_file("lip_toy_data.h5", deck.file("")), clean(deck.file("lip_toy_data.h5")));
  EXPECT_EQ(lip::io::resolve_data_file("only_env.h5", deck.file("")), clean(env.file("only_env.h5")));
  EXPECT_EQ(lip::io::resolve_data_file("lip_toy_data.h5", ""), clean(env.file("lip_toy_data.h5")));
  EXPECT_EQ(lip::io::resolve_data_file(env.file("only_env.h5"), ""), env.file("only_env.h5"));  // absolute
  // Raw folders: <dir>/raw/<name> or <dir>/<name>, in the same order.
  EXPECT_EQ(lip::io::raw_data_dir("toyset", deck.file("")), clean(deck.file("toyset")));
  EXPECT_EQ(lip::io::raw_data_dir("toyset", ""), clean(env.file("raw/toyset")));

  std::string msg = error_of([&] { lip::io::resolve_data_file("cifar10_missing_for_test.h5", deck.file("")); });
  EXPECT_NE(msg.find("data file 'cifar10_missing_for_test.h5' not found; looked in: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("(deck data dir)"), std::string::npos) << msg;
  EXPECT_NE(msg.find(env.file("") + " ($LIP_DATA_DIR)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(current dir)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("lip_prepare"), std::string::npos) << msg;
  msg = error_of([&] { lip::io::raw_data_dir("no_such_set", ""); });
  EXPECT_NE(msg.find("raw no_such_set files not found; looked in: "), std::string::npos) << msg;
  EXPECT_NE(msg.find(env.file("raw/no_such_set")), std::string::npos) << msg;
  EXPECT_NE(msg.find("data/fetch_no_such_set.sh"), std::string::npos) << msg;

  // The repository root is this source tree (ctest passes it as LIP_SOURCE_DIR).
  if (const char* src = std::getenv("LIP_SOURCE_DIR"))
    EXPECT_EQ(fs::weakly_canonical(lip::io::repo_root()), fs::weakly_canonical(src));
  EXPECT_EQ(fs::path(lip::io::repo_data_dir()).filename(), "data");

  if (old) setenv("LIP_DATA_DIR", saved.c_str(), 1);
  else unsetenv("LIP_DATA_DIR");
}

// ==== batching ===============================================================================

TEST(ImageBatcher, ShuffledEpochsArePermutationsFromPhilox) {
  TempDir dir;
  const ImageDataset data = lip::io::load_image_dataset(write_images(dir, "b.h5"), "train");
  const size_t B = 3;
  ImageBatcher batcher(data, B, /*seed=*/42, /*shuffle=*/true);
  EXPECT_EQ(batcher.batches_per_epoch(), 2u);  // floor(7 / 3): one image dropped per epoch
  k::Tensor2 x("x", B, F);
  k::IndexTensor1 y("y", B);
  std::vector<std::vector<uint32_t>> epochs;
  for (uint64_t e = 0; e < 4; ++e) {
    // Independent Fisher–Yates from the documented draws uniform_draw(seed, epoch, i).
    std::vector<uint32_t> expect(N);
    std::iota(expect.begin(), expect.end(), 0u);
    for (size_t i = N - 1; i >= 1; --i) {
      const size_t j = std::min(i, size_t(k::uniform_draw(42, e, i) * double(i + 1)));
      std::swap(expect[i], expect[j]);
    }
    for (size_t b = 0; b < batcher.batches_per_epoch(); ++b) {
      batcher.next_batch(x, y);
      EXPECT_EQ(batcher.epoch(), e);
      EXPECT_EQ(batcher.position(), b + 1);
      EXPECT_EQ(batcher.order(), expect);
      expect_batch(std::vector<uint32_t>(expect.begin() + b * B, expect.begin() + (b + 1) * B), x, y);
    }
    std::vector<uint32_t> sorted = batcher.order();
    std::sort(sorted.begin(), sorted.end());
    std::vector<uint32_t> identity(N);
    std::iota(identity.begin(), identity.end(), 0u);
    EXPECT_EQ(sorted, identity);
    epochs.push_back(batcher.order());
  }
  EXPECT_NE(epochs[0], epochs[1]);  // a fresh permutation each epoch
  // Another seed gives another order.
  ImageBatcher other(data, B, 43, true);
  EXPECT_NE(other.order(), epochs[0]);
}

TEST(ImageBatcher, CursorRestoreReproducesTheStream) {
  TempDir dir;
  const ImageDataset data = lip::io::load_image_dataset(write_images(dir, "c.h5"), "train");
  const size_t B = 2;  // 3 batches per epoch
  k::Tensor2 x("x", B, F);
  k::IndexTensor1 y("y", B);
  ImageBatcher a(data, B, 7, true);
  uint64_t saved_epoch = 0;
  size_t saved_position = 0;
  std::vector<std::vector<float>> after_save;
  std::vector<std::vector<int>> labels_after_save;
  for (int step = 0; step < 9; ++step) {
    if (step == 4) {
      saved_epoch = a.epoch();
      saved_position = a.position();
    }
    a.next_batch(x, y);
    if (step >= 4) {
      after_save.push_back(host_x(x));
      labels_after_save.push_back(host_y(y));
    }
  }
  EXPECT_EQ(saved_epoch, 1u);
  EXPECT_EQ(saved_position, 1u);
  ImageBatcher b(data, B, 7, true);
  b.set_cursor(saved_epoch, saved_position);
  for (size_t i = 0; i < after_save.size(); ++i) {
    b.next_batch(x, y);
    EXPECT_EQ(host_x(x), after_save[i]) << "batch " << i << " after restore";
    EXPECT_EQ(host_y(y), labels_after_save[i]) << "batch " << i << " after restore";
  }
  EXPECT_EQ(b.epoch(), a.epoch());
  EXPECT_EQ(b.position(), a.position());
  // A cursor at the end of an epoch rolls over on the next batch.
  b.set_cursor(5, b.batches_per_epoch());
  b.next_batch(x, y);
  EXPECT_EQ(b.epoch(), 6u);
  EXPECT_EQ(b.position(), 1u);
  const std::string msg = error_of([&] { b.set_cursor(0, 4); });
  EXPECT_NE(msg.find("cursor position 4 is past the 3 batches of an epoch"), std::string::npos) << msg;
}

TEST(ImageBatcher, UnshuffledAndFixedOrderBatches) {
  TempDir dir;
  const ImageDataset data = lip::io::load_image_dataset(write_images(dir, "d.h5"), "train");
  const size_t B = 2;
  k::Tensor2 x("x", B, F);
  k::IndexTensor1 y("y", B);
  ImageBatcher plain(data, B, 123, false);
  for (int epoch = 0; epoch < 2; ++epoch)
    for (uint32_t b = 0; b < 3; ++b) {
      plain.next_batch(x, y);
      expect_batch({2 * b, 2 * b + 1}, x, y);
    }
  ImageBatcher shuffled(data, B, 123, true);
  shuffled.next_batch(x, y);
  const auto position = shuffled.position();
  shuffled.batch_at(2, x, y);  // natural order, whatever the shuffle
  expect_batch({4, 5}, x, y);
  EXPECT_EQ(shuffled.position(), position);  // evaluation batches do not move the cursor
  std::string msg = error_of([&] { shuffled.batch_at(3, x, y); });
  EXPECT_NE(msg.find("batch 3 requested"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has 3 full batches of 2"), std::string::npos) << msg;

  k::Tensor2 wrong("wrong", B, F + 1);
  msg = error_of([&] { shuffled.next_batch(wrong, y); });
  EXPECT_NE(msg.find("x must be (B, features) = (2, 12), got (2, 13)"), std::string::npos) << msg;
  msg = error_of([&] { ImageBatcher(data, 8, 1, true); });
  EXPECT_NE(msg.find("has 7 images, fewer than one batch of 8"), std::string::npos) << msg;
  msg = error_of([&] { ImageBatcher(data, 0, 1, true); });
  EXPECT_NE(msg.find("batch size must be positive"), std::string::npos) << msg;
}
