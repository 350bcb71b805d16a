#pragma once
/* HDF5 checkpoints (docs/FORMATS.md): parameters in ParamStore order, optimizer state slabs, step,
 * data cursor, the resolved deck and the code version. Rank 0 writes to `<path>.tmp`, flushes,
 * fsyncs and renames over `<path>`, so a reader never sees a partial file.
 */
#include <cstdint>
#include <string>
#include <vector>

#include "model/param_store.hpp"

namespace lip::io {

inline constexpr const char* kCheckpointFormat = "lipschitz-checkpoint";
inline constexpr int64_t kCheckpointVersion = 1;

struct CheckpointMeta {
  long step = 0;
  uint64_t data_epoch = 0;
  uint64_t data_position = 0;
  std::string deck;     ///< resolved deck text
  std::string version;  ///< code version that wrote it
};

/// Write parameters (and, when non-empty, the optimizer slabs) atomically to `path`.
void write_checkpoint(const std::string& path, const ParamStore& params, const std::vector<kernels::Tensor1>& state,
                      const std::vector<std::string>& state_names, const CheckpointMeta& meta);

/// Read the metadata of a checkpoint (validates format and version).
CheckpointMeta read_checkpoint_meta(const std::string& path);

/// Load every parameter of `params` from `path`, checking names, order and shapes.
void read_checkpoint_parameters(const std::string& path, const ParamStore& params);

/// Load optimizer slab `name` (layout of `params`) into `slab`.
void read_checkpoint_state(const std::string& path, const ParamStore& params, const std::string& name,
                           const kernels::Tensor1& slab);

}  // namespace lip::io
