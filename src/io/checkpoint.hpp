#pragma once
/* HDF5 checkpoints (schema: docs/FORMATS.md, "Checkpoints"): parameters in ParamStore order, the
 * optimizer state slabs, the step, the data cursor (epoch, position), the seeds, the resolved deck
 * and the code version, under root attributes `format` and `version`.
 *
 * Writing: rank 0 writes `<path>.tmp`, closes it, fsyncs it, renames it over `<path>` and fsyncs
 * the directory, so a reader (or a process killed at any moment) only ever sees complete files.
 * Every dataset carries a Fletcher-32 checksum (Hdf5File::write), the metadata its own checksums.
 *
 * Reading: everything is validated before anything is copied into the model: format, version,
 * element type, tensor count, and per tensor its name and shape (the message names the tensor,
 * the expected and the stored shape). Truncated or corrupted files throw lip::Error.
 *
 * RNG state: every random draw of a run comes from counter-based Philox keyed by (run.seed, step)
 * (projection start vectors) or (data.seed, epoch) (data order), so step and data cursor ARE the
 * RNG state; nothing else needs saving.
 */
#include <cstdint>
#include <string>
#include <vector>

#include "model/param_store.hpp"

namespace lip::io {

inline constexpr const char* kCheckpointFormat = "lipschitz-checkpoint";
inline constexpr int64_t kCheckpointVersion = 2;

struct CheckpointMeta {
  long step = 0;               ///< completed optimizer steps
  uint64_t data_epoch = 0;     ///< training data cursor: the next batch is batch `data_position`
  uint64_t data_position = 0;  ///<   of epoch `data_epoch`
  uint64_t seed = 0;           ///< run.seed (Philox key of the projection draws, with the step)
  uint64_t data_seed = 0;      ///< data.seed (Philox key of the data order, with the epoch)
  int ranks = 1;               ///< MPI ranks of the run that wrote it (informational)
  std::string deck;            ///< resolved deck text
  std::string version;         ///< code version that wrote it
};

//! One optimizer state slab (same layout as the parameter slab) and its name in the file.
struct CheckpointSlab {
  std::string name;        ///< e.g. "first_moment"; stored as /optimizer/<name>/<i>_<tensor>
  kernels::Tensor1 slab;   ///< (slab_size); an empty View is skipped when writing
};

//! Write parameters and optimizer slabs atomically to `path` (tmp file, fsync, rename).
void write_checkpoint(const std::string& path, const ParamStore& params, const std::vector<CheckpointSlab>& state,
                      const CheckpointMeta& meta);

//! Read the metadata of a checkpoint (validates format and version).
CheckpointMeta read_checkpoint_meta(const std::string& path);

//! Load every parameter of `params` from `path`, checking count, names, element type and shapes
//! first (nothing is modified when a check fails).
void read_checkpoint_parameters(const std::string& path, const ParamStore& params);

//! Load parameters and every slab of `state` (all of which must be stored), validated as above.
//! Returns the metadata.
CheckpointMeta read_checkpoint(const std::string& path, const ParamStore& params,
                               const std::vector<CheckpointSlab>& state);

//! Names of the optimizer slabs stored in `path` (e.g. {"first_moment", "second_moment"}).
std::vector<std::string> checkpoint_state_names(const std::string& path);

}  // namespace lip::io
