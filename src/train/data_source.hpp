#pragma once
/* Where batches come from. A DataSource fills GLOBAL batches (identical on every rank: the order
 * comes from the counter-based RNG); the trainer hands each rank its contiguous slice of rows.
 */
#include <memory>

#include "io/image_dataset.hpp"
#include "io/run_config.hpp"
#include "model/model.hpp"

namespace lip {

class DataSource {
 public:
  virtual ~DataSource() = default;
  /// Allocate a batch buffer of `rows` examples in this source's shape.
  virtual Batch make_batch(size_t rows) const = 0;
  virtual void next_train_batch(Batch& batch) = 0;
  virtual void eval_batch(size_t k, Batch& batch) = 0;
  /// Number of distinct evaluation batches available (evaluation cycles through them).
  virtual size_t available_eval_batches() const = 0;
  virtual size_t input_features() const = 0;
  virtual size_t num_classes() const = 0;
  virtual std::string describe() const = 0;
};

/// Image classification from an HDF5 file of lip_prepare (MNIST, CIFAR-10).
class ImageDataSource : public DataSource {
 public:
  ImageDataSource(const std::string& path, size_t batch_size, size_t eval_batch_size, uint64_t seed, bool shuffle);
  Batch make_batch(size_t rows) const override;
  void next_train_batch(Batch& batch) override;
  void eval_batch(size_t k, Batch& batch) override;
  size_t available_eval_batches() const override { return test_batcher_->batches_per_epoch(); }
  size_t input_features() const override { return train_.features(); }
  size_t num_classes() const override { return train_.num_classes; }
  std::string describe() const override;
  io::ImageBatcher& train_batcher() { return *train_batcher_; }

 private:
  io::ImageDataset train_, test_;
  std::unique_ptr<io::ImageBatcher> train_batcher_, test_batcher_;
};

std::unique_ptr<DataSource> make_data_source(const RunConfig& config);

}  // namespace lip
