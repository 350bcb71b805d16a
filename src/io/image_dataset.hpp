#pragma once
/* Dataset files written by lip_prepare (schemas in docs/FORMATS.md): writing, loading with
 * validation, and the image batch sampler used by the MLP trainer (ALGORITHMS.md §9.2). Writer and
 * reader of each format live side by side so that the schema is spelled out once.
 *
 * ImageBatcher: epoch e visits the images in a permutation drawn by Fisher–Yates from Philox
 * uniform_draw(seed, e, i), so the order depends only on (seed, epoch), never on thread or rank
 * count; unshuffled, the order is 0..N-1. Each epoch yields floor(N/B) batches (the incomplete
 * last batch is dropped, different images each epoch when shuffled). The cursor (epoch, position)
 * is everything needed to resume. Pixels become pixel/255 in HWC flattened order
 * (feature index (h*W + w)*C + c), which is the stored order.
 */
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/types.hpp"

namespace lip::io {

//! One split of a "lipschitz-image-classification" file, fully in host memory.
struct ImageDataset {
  std::string path, split;
  size_t count = 0, height = 0, width = 0, channels = 0, num_classes = 0;
  std::vector<uint8_t> pixels;  // (count, height, width, channels), HWC row-major
  std::vector<uint8_t> labels;  // (count), each < num_classes
  //! Flattened input size per image: height * width * channels.
  size_t features() const { return height * width * channels; }
};

//! Load split "train" or "test" of an image-classification file, validating format, version,
//! dtypes, ranks, counts and label range (messages name file, dataset, expected and actual).
ImageDataset load_image_dataset(const std::string& path, const std::string& split);

//! Everything an image-classification file holds, both splits (what lip_prepare converts).
struct ImageDatasetFile {
  struct Split {
    size_t count = 0;
    std::vector<uint8_t> images;  // (count, height, width, channels), HWC row-major
    std::vector<uint8_t> labels;  // (count), each < num_classes
    std::string batch_counts;     // optional: images taken from each raw batch file, e.g. "4000 1017 ..."
  };
  std::string source;       // where the images came from
  std::string layout;       // raw layout converted: "idx", "official-binary", "partial-binary"
  std::string class_names;  // optional: one name per line, line i names label i
  size_t height = 0, width = 0, channels = 0, num_classes = 10;
  Split train, test;
};

//! Writes `file` as a new image-classification file at `path` (truncating it). Atomic
//! replacement is the caller's choice (io/atomic_file.hpp).
void write_image_dataset(const std::string& path, const ImageDatasetFile& file);

//! One split of a "lipschitz-char-tokens" file.
struct CharTokenDataset {
  std::string path, split;
  std::string vocabulary;         // byte of token id i is vocabulary[i]
  size_t vocab_size = 0;          // == vocabulary.size()
  std::vector<uint16_t> tokens;   // (N), each < vocab_size
};

//! Load split "train" or "val" of a char-token file, validating format, version, vocabulary and
//! token range.
CharTokenDataset load_char_tokens(const std::string& path, const std::string& split);

//! Everything a char-token file holds, both splits (what lip_prepare converts).
struct CharTokenFile {
  std::string source;           // where the text came from
  std::string vocabulary;       // byte of token id i is vocabulary[i]; no NUL (stored NUL-padded)
  std::vector<uint16_t> train;  // (N_train) token ids, each < vocabulary.size()
  std::vector<uint16_t> val;    // (N_val)
};

//! Writes `file` as a new char-token file at `path` (truncating it).
void write_char_tokens(const std::string& path, const CharTokenFile& file);

//! Batches of (pixels/255, label) from an ImageDataset, which must outlive the batcher.
class ImageBatcher {
 public:
  //! Shuffled: a fresh permutation per epoch from `seed`; unshuffled: natural order every epoch.
  ImageBatcher(const ImageDataset& data, size_t batch_size, uint64_t seed, bool shuffle);

  size_t batch_size() const { return batch_size_; }
  //! floor(count / batch_size): the incomplete last batch is dropped.
  size_t batches_per_epoch() const { return batches_per_epoch_; }

  //! Fill the next batch and advance the cursor (rolling over into the next epoch).
  void next_batch(const kernels::Tensor2& x,        // (B, features) out: pixel / 255
                  const kernels::IndexTensor1& y);  // (B) out: labels
  //! Fill batch k (0 <= k < batches_per_epoch) of the natural order, images k*B .. k*B+B-1;
  //! for fixed-order evaluation. Does not touch the cursor.
  void batch_at(size_t k,
                const kernels::Tensor2& x,        // (B, features) out
                const kernels::IndexTensor1& y);  // (B) out

  //! Cursor: the next batch is batch `position()` of epoch `epoch()`.
  uint64_t epoch() const { return epoch_; }
  size_t position() const { return position_; }
  //! Restore a cursor saved from epoch()/position() (e.g. from a checkpoint).
  void set_cursor(uint64_t epoch, size_t position);

  //! Image indices of the current epoch, in visiting order (identity when unshuffled).
  const std::vector<uint32_t>& order() const { return order_; }

 private:
  void make_order(uint64_t epoch);
  void fill(const uint32_t* indices, const kernels::Tensor2& x, const kernels::IndexTensor1& y);

  const ImageDataset* data_;
  size_t batch_size_, batches_per_epoch_;
  uint64_t seed_;
  bool shuffle_;
  uint64_t epoch_ = 0;
  size_t position_ = 0;
  std::vector<uint32_t> order_;                     // (N) permutation of the current epoch
  std::vector<uint32_t> natural_;                   // (N) 0..N-1, for batch_at
  kernels::Tensor2::HostMirror x_host_;             // (B, features)
  kernels::IndexTensor1::HostMirror y_host_;        // (B)
};

}  // namespace lip::io
