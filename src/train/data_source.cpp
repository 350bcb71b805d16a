#include "train/data_source.hpp"

#include <sstream>

#include "core/error.hpp"
#include "io/data_paths.hpp"

namespace lip {

ImageDataSource::ImageDataSource(const std::string& path, size_t batch_size, size_t eval_batch_size, uint64_t seed,
                                 bool shuffle)
    : train_(io::load_image_dataset(path, "train")), test_(io::load_image_dataset(path, "test")) {
  LIP_REQUIRE(train_.features() == test_.features(),
              path << ": train images have " << train_.features() << " features, test images " << test_.features());
  LIP_REQUIRE(batch_size <= train_.count, "data.batch_size " << batch_size << " exceeds the " << train_.count
                                                             << " training images of " << path);
  LIP_REQUIRE(eval_batch_size <= test_.count, "data.eval_batch_size " << eval_batch_size << " exceeds the "
                                                                      << test_.count << " test images of " << path);
  train_batcher_ = std::make_unique<io::ImageBatcher>(train_, batch_size, seed, shuffle);
  test_batcher_ = std::make_unique<io::ImageBatcher>(test_, eval_batch_size, seed, false);
}

Batch ImageDataSource::make_batch(size_t rows) const {
  Batch b;
  b.inputs = kernels::Tensor2("Batch::inputs", rows, train_.features());
  b.targets = kernels::IndexTensor1("Batch::targets", rows);
  b.size = rows;
  return b;
}

void ImageDataSource::next_train_batch(Batch& batch) { train_batcher_->next_batch(batch.inputs, batch.targets); }

void ImageDataSource::eval_batch(size_t k, Batch& batch) {
  test_batcher_->batch_at(k % test_batcher_->batches_per_epoch(), batch.inputs, batch.targets);
}

std::string ImageDataSource::describe() const {
  std::ostringstream os;
  os << train_.path << ": " << train_.count << " train / " << test_.count << " test images of " << train_.height << "x"
     << train_.width << "x" << train_.channels << ", " << train_.num_classes << " classes";
  return os.str();
}

std::unique_ptr<DataSource> make_data_source(const RunConfig& c) {
  const std::string path = io::resolve_data_file(c.data_file, c.data_dir);
  if (c.dataset == "mnist" || c.dataset == "cifar10")
    return std::make_unique<ImageDataSource>(path, c.batch_size, c.eval_batch_size, c.data_seed, c.shuffle);
  LIP_FAIL("data.dataset '" << c.dataset << "' has no data source");
}

}  // namespace lip
