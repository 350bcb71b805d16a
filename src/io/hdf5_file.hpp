#pragma once
/* RAII wrapper over the HDF5 C API: the only place in the project that calls H5* functions.
 *
 * - Every failure becomes a one-line lip::Error naming the file, the object and what was being
 *   done, plus HDF5's innermost diagnostic; HDF5's own error-stack printing is switched off.
 * - Every read states the shape it expects and checks the stored dtype exactly; a mismatch names
 *   file, dataset, expected and actual shape and dtype. `Hdf5File::any` in an expected shape
 *   accepts any extent in that position (e.g. the image count).
 * - Object names are slash paths relative to the root ("train/images"); groups are created on
 *   demand when writing. "" or "/" is the root group (for attributes).
 * - Datasets are written with the Fletcher-32 checksum filter (chunked) whenever they hold at
 *   least one element, so flipped bytes in stored data are reported on read instead of being
 *   returned silently; files use the v1.8+ format, whose metadata also carries checksums.
 *
 * Supported element types: uint8_t, uint16_t, uint32_t, uint64_t, int32_t, int64_t, float,
 * double (stored little-endian). Strings are attributes only (fixed-length, NUL-padded, ASCII;
 * variable-length strings written by other tools are read as well).
 */
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lip::io {

//! An open HDF5 file (read-only or freshly created); closes itself on destruction.
class Hdf5File {
 public:
  //! Wildcard for one extent of an expected shape.
  static constexpr size_t any = static_cast<size_t>(-1);

  //! Open an existing file read-only. Missing, unreadable, truncated or corrupt files throw.
  static Hdf5File open_read(const std::string& path);
  //! Create (truncate) a file for writing.
  static Hdf5File create(const std::string& path);

  Hdf5File(Hdf5File&& other) noexcept;
  Hdf5File& operator=(Hdf5File&& other) noexcept;
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;
  ~Hdf5File();

  const std::string& path() const { return path_; }
  bool writable() const { return writable_; }
  //! Flush and close now (also done by the destructor); errors on close throw here.
  void close();

  // ---- objects --------------------------------------------------------------------------
  //! True when `name` (a dataset or group path) exists.
  bool has(const std::string& name) const;
  //! Extents of dataset `name` (empty for a scalar dataset).
  std::vector<size_t> dims(const std::string& name) const;
  //! Stored element type of dataset `name` as a short name ("uint8", "float32", "string", ...).
  std::string dtype(const std::string& name) const;
  //! Create group `name` and any missing parents (no-op when it exists).
  void create_group(const std::string& name);

  // ---- datasets -------------------------------------------------------------------------
  //! Write dataset `name` with extents `shape` from `data` (product(shape) elements).
  template <class T>
  void write(const std::string& name, const std::vector<size_t>& shape, const T* data);
  template <class T>
  void write(const std::string& name, const std::vector<size_t>& shape, const std::vector<T>& data);

  //! Read dataset `name`, which must have dtype T and shape `expected` (entries may be `any`).
  template <class T>
  std::vector<T> read(const std::string& name, const std::vector<size_t>& expected) const;
  //! As read(), into caller memory of `capacity` elements (must equal the element count).
  template <class T>
  void read_into(const std::string& name, const std::vector<size_t>& expected, T* out,
                 size_t capacity) const;

  //! Read rows [first_row, first_row + count) of dataset `name` (rank >= 1, dtype T) into `out`
  //! (count * row_size elements, row_size = product of the trailing extents).
  template <class T>
  void read_rows(const std::string& name, size_t first_row, size_t count, T* out,
                 size_t capacity) const;
  template <class T>
  std::vector<T> read_rows(const std::string& name, size_t first_row, size_t count) const;

  // ---- attributes (object "" or "/" is the root group) -----------------------------------
  bool has_attr(const std::string& object, const std::string& attr) const;
  void write_attr(const std::string& object, const std::string& attr, const std::string& value);
  void write_attr(const std::string& object, const std::string& attr, const char* value);
  void write_attr(const std::string& object, const std::string& attr, int64_t value);
  void write_attr(const std::string& object, const std::string& attr, int value);
  void write_attr(const std::string& object, const std::string& attr, double value);
  //! Scalar string attribute (fixed or variable length); trailing NUL padding is removed.
  std::string read_attr_string(const std::string& object, const std::string& attr) const;
  //! Scalar integer attribute (any stored integer width that fits in int64).
  int64_t read_attr_int(const std::string& object, const std::string& attr) const;
  //! Scalar floating-point or integer attribute, converted to double.
  double read_attr_double(const std::string& object, const std::string& attr) const;

 private:
  Hdf5File(std::string path, int64_t id, bool writable);
  std::string where(const std::string& object) const;  // "file 'p', dataset 'n'" for messages
  int64_t open_dataset_checked(const std::string& name, int64_t mem_type,
                               const std::vector<size_t>* expected, std::vector<size_t>* shape) const;
  void write_raw(const std::string& name, const std::vector<size_t>& shape, int64_t file_type,
                 int64_t mem_type, size_t element_size, const void* data);
  void write_attr_raw(const std::string& object, const std::string& attr, int64_t file_type,
                      int64_t mem_type, const void* value);

  std::string path_;
  int64_t id_ = -1;  // hid_t of the open file, -1 when closed
  bool writable_ = false;
};

//! Element-count of a shape (1 for a scalar).
size_t shape_elements(const std::vector<size_t>& shape);
//! "[60000, 28, 28, 1]" (`any` prints as "*").
std::string shape_string(const std::vector<size_t>& shape);

}  // namespace lip::io
