#include "io/hdf5_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <type_traits>
#include <utility>

#include "core/error.hpp"

static_assert(std::is_same_v<hid_t, int64_t>, "Hdf5File stores hid_t as int64_t (HDF5 >= 1.10)");

namespace lip::io {

namespace {

// ==== error handling =========================================================================

// HDF5's own error-stack printing is switched off once; failures are read from the stack and
// turned into lip::Error instead.
void h5_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

herr_t innermost_error(unsigned n, const H5E_error2_t* err, void* data) {
  // Walked upward, entry 0 is the most specific diagnostic (where HDF5 detected the problem).
  if (n == 0 && err && err->desc) *static_cast<std::string*>(data) = err->desc;
  return 0;
}

//! The innermost message on HDF5's error stack (then cleared), e.g. "file signature not found".
std::string h5_diagnostic() {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, &detail);
  H5Eclear2(H5E_DEFAULT);
  return detail.empty() ? std::string("no diagnostic") : detail;
}

}  // namespace

}  // namespace lip::io

/// Check an HDF5 return value (hid_t, herr_t or htri_t: negative means failure) and throw
/// lip::Error with `msg` plus HDF5's innermost diagnostic.
#define LIP_CHECK_H5(expr, msg)                                                      \
  [&]() {                                                                            \
    const auto lip_h5_result_ = (expr);                                              \
    if (lip_h5_result_ < 0) {                                                        \
      const std::string lip_h5_detail_ = ::lip::io::h5_diagnostic();                 \
      LIP_FAIL(msg << " (HDF5: " << lip_h5_detail_ << ")");                          \
    }                                                                                \
    return lip_h5_result_;                                                           \
  }()

namespace lip::io {

namespace {

// ==== handles ================================================================================

//! Owns one hid_t and closes it with the matching H5*close on scope exit.
class Handle {
 public:
  Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) closer_(id_);
  }
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

// ==== element types ==========================================================================

template <class T>
struct H5Type;
#define LIP_H5_TYPE(T, FILE_T, MEM_T)               \
  template <>                                       \
  struct H5Type<T> {                                \
    static hid_t file() { return FILE_T; }          \
    static hid_t mem() { return MEM_T; }            \
  };
LIP_H5_TYPE(uint8_t, H5T_STD_U8LE, H5T_NATIVE_UINT8)
LIP_H5_TYPE(uint16_t, H5T_STD_U16LE, H5T_NATIVE_UINT16)
LIP_H5_TYPE(uint32_t, H5T_STD_U32LE, H5T_NATIVE_UINT32)
LIP_H5_TYPE(uint64_t, H5T_STD_U64LE, H5T_NATIVE_UINT64)
LIP_H5_TYPE(int32_t, H5T_STD_I32LE, H5T_NATIVE_INT32)
LIP_H5_TYPE(int64_t, H5T_STD_I64LE, H5T_NATIVE_INT64)
LIP_H5_TYPE(float, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT)
LIP_H5_TYPE(double, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE)
#undef LIP_H5_TYPE

//! Short dtype name of an HDF5 type: "uint8", "int64", "float32", "string", ...
std::string type_name(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t bits = 8 * H5Tget_size(type);
  switch (cls) {
    case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
    case H5T_FLOAT: return "float" + std::to_string(bits);
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "vlen";
    case H5T_OPAQUE: return "opaque";
    case H5T_REFERENCE: return "reference";
    default: return "unknown";
  }
}

//! Same class, width and signedness (byte order may differ: HDF5 converts it).
bool same_element_type(hid_t a, hid_t b) {
  const H5T_class_t ca = H5Tget_class(a), cb = H5Tget_class(b);
  if (ca != cb || H5Tget_size(a) != H5Tget_size(b)) return false;
  if (ca == H5T_INTEGER) return H5Tget_sign(a) == H5Tget_sign(b);
  return ca == H5T_FLOAT;
}

// ==== paths ==================================================================================

//! "train/images", "/train/images/" -> "/train/images"; "" and "/" -> "/".
std::string absolute_name(const std::string& name) {
  std::string out = "/";
  for (char ch : name) {
    if (ch == '/' && out.back() == '/') continue;
    out += ch;
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::vector<size_t> space_dims(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank <= 0) return {};
  std::vector<hsize_t> d(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space, d.data(), nullptr);
  return std::vector<size_t>(d.begin(), d.end());
}

bool shape_matches(const std::vector<size_t>& actual, const std::vector<size_t>& expected) {
  if (actual.size() != expected.size()) return false;
  for (size_t i = 0; i < actual.size(); ++i)
    if (expected[i] != Hdf5File::any && expected[i] != actual[i]) return false;
  return true;
}

// Datasets are chunked in row blocks of about this many bytes so that the Fletcher-32 checksum
// applies and a contiguous row range (read_rows) touches few chunks; it fits HDF5's default 1 MiB
// chunk cache.
constexpr size_t kChunkBytes = size_t(512) << 10;
// Rows larger than this are stored contiguously (HDF5 chunks must stay below 4 GiB).
constexpr size_t kMaxChunkedRowBytes = size_t(1) << 30;

}  // namespace

// ==== free helpers ===========================================================================

size_t shape_elements(const std::vector<size_t>& shape) {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

std::string shape_string(const std::vector<size_t>& shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) os << ", ";
    if (shape[i] == Hdf5File::any) os << "*";
    else os << shape[i];
  }
  os << "]";
  return os.str();
}

// ==== open / close ===========================================================================

Hdf5File::Hdf5File(std::string path, int64_t id, bool writable)
    : path_(std::move(path)), id_(id), writable_(writable) {}

Hdf5File::Hdf5File(Hdf5File&& other) noexcept
    : path_(std::move(other.path_)), id_(std::exchange(other.id_, -1)), writable_(other.writable_) {}

Hdf5File& Hdf5File::operator=(Hdf5File&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0) H5Fclose(id_);
    path_ = std::move(other.path_);
    id_ = std::exchange(other.id_, -1);
    writable_ = other.writable_;
  }
  return *this;
}

Hdf5File::~Hdf5File() {
  if (id_ >= 0) {
    H5Fclose(id_);
    H5Eclear2(H5E_DEFAULT);
  }
}

void Hdf5File::close() {
  if (id_ < 0) return;
  const hid_t id = std::exchange(id_, -1);
  LIP_CHECK_H5(H5Fclose(id), "HDF5 file '" << path_ << "': closing failed");
}

Hdf5File Hdf5File::open_read(const std::string& path) {
  h5_init();
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  LIP_REQUIRE(fs::exists(status), "HDF5 file '" << path << "' does not exist");
  LIP_REQUIRE(!fs::is_directory(status), "HDF5 file '" << path << "' is a directory, not a file");
  const htri_t is_h5 = H5Fis_hdf5(path.c_str());
  if (is_h5 == 0) {
    const auto size = fs::file_size(path, ec);
    LIP_FAIL("'" << path << "' is not an HDF5 file (no HDF5 signature found in its " << size
                 << " bytes; it may be corrupt or of another format)");
  }
  if (is_h5 < 0) {
    const std::string detail = h5_diagnostic();
    LIP_FAIL("HDF5 file '" << path << "' cannot be read (HDF5: " << detail << ")");
  }
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    const std::string detail = h5_diagnostic();
    // Network file systems without POSIX locks make HDF5 >= 1.10.7 refuse every open.
    LIP_REQUIRE(detail.find("unable to lock") == std::string::npos,
                "HDF5 file '" << path << "' cannot be locked (HDF5: " << detail
                              << "); on file systems without locking set HDF5_USE_FILE_LOCKING=FALSE");
    LIP_FAIL("HDF5 file '" << path << "' cannot be opened; it is truncated or corrupt (HDF5: " << detail
                           << ")");
  }
  return Hdf5File(path, id, false);
}

Hdf5File Hdf5File::create(const std::string& path) {
  h5_init();
  // The v1.8+ object format stores checksums for the superblock and object headers, so a
  // damaged file is rejected at open instead of being misread.
  Handle fapl(LIP_CHECK_H5(H5Pcreate(H5P_FILE_ACCESS), "creating HDF5 file '" << path << "'"), H5Pclose);
  LIP_CHECK_H5(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_LATEST),
               "creating HDF5 file '" << path << "'");
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (id < 0) {
    const std::string detail = h5_diagnostic();
    LIP_FAIL("cannot create HDF5 file '" << path << "' (does the directory exist and is it writable?)"
                                         << " (HDF5: " << detail << ")");
  }
  return Hdf5File(path, id, true);
}

std::string Hdf5File::where(const std::string& object) const {
  return "HDF5 file '" + path_ + "', '" + absolute_name(object) + "'";
}

// ==== objects ================================================================================

bool Hdf5File::has(const std::string& name) const {
  LIP_REQUIRE(id_ >= 0, "HDF5 file '" << path_ << "' is closed");
  const std::string full = absolute_name(name);
  if (full == "/") return true;
  // H5Lexists needs every parent to exist, so walk the path one component at a time.
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = full.find('/', pos + 1);
    const std::string prefix = full.substr(0, pos);
    const htri_t exists = H5Lexists(id_, prefix.c_str(), H5P_DEFAULT);
    if (exists <= 0) {
      H5Eclear2(H5E_DEFAULT);  // a parent that is a dataset reports an error: just "absent"
      return false;
    }
  }
  return true;
}

void Hdf5File::create_group(const std::string& name) {
  LIP_REQUIRE(writable_, where(name) << ": cannot create a group in a file opened read-only");
  const std::string full = absolute_name(name);
  if (has(full)) return;
  Handle lcpl(LIP_CHECK_H5(H5Pcreate(H5P_LINK_CREATE), where(name) << ": creating group"), H5Pclose);
  LIP_CHECK_H5(H5Pset_create_intermediate_group(lcpl.get(), 1), where(name) << ": creating group");
  Handle group(LIP_CHECK_H5(H5Gcreate2(id_, full.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                            where(name) << ": creating group"),
               H5Gclose);
}

int64_t Hdf5File::open_dataset_checked(const std::string& name, int64_t mem_type,
                                       const std::vector<size_t>* expected,
                                       std::vector<size_t>* shape) const {
  LIP_REQUIRE(id_ >= 0, "HDF5 file '" << path_ << "' is closed");
  const std::string full = absolute_name(name);
  const std::string expect_text =
      (mem_type >= 0 ? type_name(mem_type) : std::string("a dataset")) +
      (expected ? " " + shape_string(*expected) : std::string());
  LIP_REQUIRE(has(full), where(name) << ": dataset not found (expected " << expect_text << ")");
  Handle obj(LIP_CHECK_H5(H5Oopen(id_, full.c_str(), H5P_DEFAULT), where(name) << ": opening object"),
             H5Oclose);
  LIP_REQUIRE(H5Iget_type(obj.get()) == H5I_DATASET,
              where(name) << ": is a group, not a dataset (expected " << expect_text << ")");
  const hid_t dset = LIP_CHECK_H5(H5Dopen2(id_, full.c_str(), H5P_DEFAULT), where(name) << ": opening dataset");
  try {
    Handle type(LIP_CHECK_H5(H5Dget_type(dset), where(name) << ": reading the dtype"), H5Tclose);
    Handle space(LIP_CHECK_H5(H5Dget_space(dset), where(name) << ": reading the shape"), H5Sclose);
    const std::vector<size_t> actual = space_dims(space.get());
    const bool type_ok = mem_type < 0 || same_element_type(type.get(), mem_type);
    const bool shape_ok = expected == nullptr || shape_matches(actual, *expected);
    LIP_REQUIRE(type_ok && shape_ok, where(name) << ": expected " << expect_text << ", found "
                                                  << type_name(type.get()) << " " << shape_string(actual));
    if (shape) *shape = actual;
  } catch (...) {
    H5Dclose(dset);
    throw;
  }
  return dset;
}

std::vector<size_t> Hdf5File::dims(const std::string& name) const {
  std::vector<size_t> shape;
  Handle dset(open_dataset_checked(name, -1, nullptr, &shape), H5Dclose);
  return shape;
}

std::string Hdf5File::dtype(const std::string& name) const {
  Handle dset(open_dataset_checked(name, -1, nullptr, nullptr), H5Dclose);
  Handle type(LIP_CHECK_H5(H5Dget_type(dset.get()), where(name) << ": reading the dtype"), H5Tclose);
  return type_name(type.get());
}

// ==== datasets ===============================================================================

void Hdf5File::write_raw(const std::string& name, const std::vector<size_t>& shape, int64_t file_type,
                         int64_t mem_type, size_t element_size, const void* data) {
  LIP_REQUIRE(writable_, where(name) << ": cannot write a dataset to a file opened read-only");
  const std::string full = absolute_name(name);
  LIP_REQUIRE(full != "/", "HDF5 file '" << path_ << "': a dataset needs a name");
  LIP_REQUIRE(!has(full), where(name) << ": already exists (datasets are written once)");
  const size_t n = shape_elements(shape);
  LIP_REQUIRE(n == 0 || data != nullptr, where(name) << ": no data given for " << n << " elements");

  const std::vector<hsize_t> hdims(shape.begin(), shape.end());
  Handle space(LIP_CHECK_H5(shape.empty() ? H5Screate(H5S_SCALAR)
                                          : H5Screate_simple(int(hdims.size()), hdims.data(), nullptr),
                            where(name) << ": creating dataspace " << shape_string(shape)),
               H5Sclose);
  Handle lcpl(LIP_CHECK_H5(H5Pcreate(H5P_LINK_CREATE), where(name) << ": writing"), H5Pclose);
  LIP_CHECK_H5(H5Pset_create_intermediate_group(lcpl.get(), 1), where(name) << ": writing");
  Handle dcpl(LIP_CHECK_H5(H5Pcreate(H5P_DATASET_CREATE), where(name) << ": writing"), H5Pclose);
  const size_t row_bytes =
      shape.empty() ? 0 : element_size * shape_elements(std::vector<size_t>(shape.begin() + 1, shape.end()));
  if (n > 0 && !shape.empty() && row_bytes <= kMaxChunkedRowBytes) {
    std::vector<hsize_t> chunk = hdims;
    chunk[0] = std::max<hsize_t>(1, std::min<hsize_t>(hdims[0], kChunkBytes / row_bytes));
    LIP_CHECK_H5(H5Pset_chunk(dcpl.get(), int(chunk.size()), chunk.data()), where(name) << ": chunking");
    LIP_CHECK_H5(H5Pset_fletcher32(dcpl.get()), where(name) << ": enabling the Fletcher-32 checksum");
  }
  Handle dset(LIP_CHECK_H5(H5Dcreate2(id_, full.c_str(), file_type, space.get(), lcpl.get(), dcpl.get(),
                                      H5P_DEFAULT),
                           where(name) << ": creating dataset " << type_name(file_type) << " "
                                       << shape_string(shape)),
              H5Dclose);
  if (n > 0)
    LIP_CHECK_H5(H5Dwrite(dset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                 where(name) << ": writing " << n << " elements");
}

template <class T>
void Hdf5File::write(const std::string& name, const std::vector<size_t>& shape, const T* data) {
  write_raw(name, shape, H5Type<T>::file(), H5Type<T>::mem(), sizeof(T), data);
}

template <class T>
void Hdf5File::write(const std::string& name, const std::vector<size_t>& shape, const std::vector<T>& data) {
  LIP_REQUIRE(data.size() == shape_elements(shape), where(name) << ": shape " << shape_string(shape) << " needs "
                                                                 << shape_elements(shape) << " elements, got "
                                                                 << data.size());
  write(name, shape, data.data());
}

template <class T>
void Hdf5File::read_into(const std::string& name, const std::vector<size_t>& expected, T* out,
                         size_t capacity) const {
  std::vector<size_t> shape;
  Handle dset(open_dataset_checked(name, H5Type<T>::mem(), &expected, &shape), H5Dclose);
  const size_t n = shape_elements(shape);
  LIP_REQUIRE(capacity == n, where(name) << ": destination holds " << capacity << " elements, dataset "
                                         << shape_string(shape) << " has " << n);
  if (n == 0) return;
  LIP_CHECK_H5(H5Dread(dset.get(), H5Type<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out),
               where(name) << ": reading " << n << " elements (stored data damaged?)");
}

template <class T>
std::vector<T> Hdf5File::read(const std::string& name, const std::vector<size_t>& expected) const {
  std::vector<size_t> shape;
  Handle dset(open_dataset_checked(name, H5Type<T>::mem(), &expected, &shape), H5Dclose);
  std::vector<T> out(shape_elements(shape));
  if (!out.empty())
    LIP_CHECK_H5(H5Dread(dset.get(), H5Type<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
                 where(name) << ": reading " << out.size() << " elements (stored data damaged?)");
  return out;
}

template <class T>
void Hdf5File::read_rows(const std::string& name, size_t first_row, size_t count, T* out,
                         size_t capacity) const {
  std::vector<size_t> shape;
  Handle dset(open_dataset_checked(name, H5Type<T>::mem(), nullptr, &shape), H5Dclose);
  LIP_REQUIRE(!shape.empty(), where(name) << ": row reads need a dataset of rank >= 1, found a scalar");
  LIP_REQUIRE(first_row <= shape[0] && count <= shape[0] - first_row,
              where(name) << ": rows [" << first_row << ", " << first_row + count << ") requested, dataset "
                          << shape_string(shape) << " has " << shape[0] << " rows");
  const size_t row_size = shape_elements(std::vector<size_t>(shape.begin() + 1, shape.end()));
  const size_t n = count * row_size;
  LIP_REQUIRE(capacity == n, where(name) << ": destination holds " << capacity << " elements, " << count
                                         << " rows need " << n);
  if (n == 0) return;
  std::vector<hsize_t> start(shape.size(), 0), block(shape.begin(), shape.end());
  start[0] = first_row;
  block[0] = count;
  Handle file_space(LIP_CHECK_H5(H5Dget_space(dset.get()), where(name) << ": reading rows"), H5Sclose);
  LIP_CHECK_H5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(), nullptr),
               where(name) << ": selecting rows [" << first_row << ", " << first_row + count << ")");
  Handle mem_space(LIP_CHECK_H5(H5Screate_simple(int(block.size()), block.data(), nullptr),
                                where(name) << ": reading rows"),
                   H5Sclose);
  LIP_CHECK_H5(H5Dread(dset.get(), H5Type<T>::mem(), mem_space.get(), file_space.get(), H5P_DEFAULT, out),
               where(name) << ": reading rows [" << first_row << ", " << first_row + count
                           << ") (stored data damaged?)");
}

template <class T>
std::vector<T> Hdf5File::read_rows(const std::string& name, size_t first_row, size_t count) const {
  const std::vector<size_t> shape = dims(name);
  LIP_REQUIRE(!shape.empty(), where(name) << ": row reads need a dataset of rank >= 1, found a scalar");
  const size_t row_size = shape_elements(std::vector<size_t>(shape.begin() + 1, shape.end()));
  std::vector<T> out(count * row_size);
  read_rows(name, first_row, count, out.data(), out.size());
  return out;
}

#define LIP_H5_INSTANTIATE(T)                                                                          \
  template void Hdf5File::write<T>(const std::string&, const std::vector<size_t>&, const T*);         \
  template void Hdf5File::write<T>(const std::string&, const std::vector<size_t>&, const std::vector<T>&); \
  template std::vector<T> Hdf5File::read<T>(const std::string&, const std::vector<size_t>&) const;     \
  template void Hdf5File::read_into<T>(const std::string&, const std::vector<size_t>&, T*, size_t) const; \
  template void Hdf5File::read_rows<T>(const std::string&, size_t, size_t, T*, size_t) const;        \
  template std::vector<T> Hdf5File::read_rows<T>(const std::string&, size_t, size_t) const;
LIP_H5_INSTANTIATE(uint8_t)
LIP_H5_INSTANTIATE(uint16_t)
LIP_H5_INSTANTIATE(uint32_t)
LIP_H5_INSTANTIATE(uint64_t)
LIP_H5_INSTANTIATE(int32_t)
LIP_H5_INSTANTIATE(int64_t)
LIP_H5_INSTANTIATE(float)
LIP_H5_INSTANTIATE(double)
#undef LIP_H5_INSTANTIATE

// ==== attributes =============================================================================

bool Hdf5File::has_attr(const std::string& object, const std::string& attr) const {
  if (!has(object)) return false;
  const htri_t exists = H5Aexists_by_name(id_, absolute_name(object).c_str(), attr.c_str(), H5P_DEFAULT);
  if (exists < 0) H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

void Hdf5File::write_attr_raw(const std::string& object, const std::string& attr, int64_t file_type,
                              int64_t mem_type, const void* value) {
  LIP_REQUIRE(writable_, where(object) << ": cannot write attribute '" << attr << "' to a file opened read-only");
  const std::string obj = absolute_name(object);
  LIP_REQUIRE(has(obj), where(object) << ": no such group or dataset for attribute '" << attr << "'");
  if (has_attr(obj, attr))
    LIP_CHECK_H5(H5Adelete_by_name(id_, obj.c_str(), attr.c_str(), H5P_DEFAULT),
                 where(object) << ": replacing attribute '" << attr << "'");
  Handle space(LIP_CHECK_H5(H5Screate(H5S_SCALAR), where(object) << ": writing attribute '" << attr << "'"),
               H5Sclose);
  Handle a(LIP_CHECK_H5(H5Acreate_by_name(id_, obj.c_str(), attr.c_str(), file_type, space.get(), H5P_DEFAULT,
                                          H5P_DEFAULT, H5P_DEFAULT),
                        where(object) << ": creating attribute '" << attr << "'"),
           H5Aclose);
  LIP_CHECK_H5(H5Awrite(a.get(), mem_type, value), where(object) << ": writing attribute '" << attr << "'");
}

void Hdf5File::write_attr(const std::string& object, const std::string& attr, const std::string& value) {
  // Fixed-length, NUL-padded: embedded newlines and any byte value survive (h5py reads bytes).
  Handle type(LIP_CHECK_H5(H5Tcopy(H5T_C_S1), where(object) << ": writing attribute '" << attr << "'"), H5Tclose);
  LIP_CHECK_H5(H5Tset_size(type.get(), std::max<size_t>(1, value.size())),
               where(object) << ": writing attribute '" << attr << "'");
  LIP_CHECK_H5(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), where(object) << ": writing attribute '" << attr << "'");
  std::string buffer = value;
  if (buffer.empty()) buffer.push_back('\0');
  write_attr_raw(object, attr, type.get(), type.get(), buffer.data());
}

void Hdf5File::write_attr(const std::string& object, const std::string& attr, const char* value) {
  write_attr(object, attr, std::string(value));
}

void Hdf5File::write_attr(const std::string& object, const std::string& attr, int64_t value) {
  write_attr_raw(object, attr, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void Hdf5File::write_attr(const std::string& object, const std::string& attr, int value) {
  write_attr(object, attr, static_cast<int64_t>(value));
}

void Hdf5File::write_attr(const std::string& object, const std::string& attr, double value) {
  write_attr_raw(object, attr, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

namespace {

//! Opens attribute `attr` of `obj` after checking it exists and holds a single value.
hid_t open_scalar_attr(hid_t file, const std::string& where_text, const std::string& obj,
                       const std::string& attr, const char* wanted) {
  const htri_t exists = H5Aexists_by_name(file, obj.c_str(), attr.c_str(), H5P_DEFAULT);
  if (exists < 0) H5Eclear2(H5E_DEFAULT);
  LIP_REQUIRE(exists > 0, where_text << ": attribute '" << attr << "' not found (expected a " << wanted << ")");
  const hid_t a = LIP_CHECK_H5(H5Aopen_by_name(file, obj.c_str(), attr.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                               where_text << ": opening attribute '" << attr << "'");
  const hid_t space = H5Aget_space(a);
  const hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  if (space >= 0) H5Sclose(space);
  if (n != 1) {
    H5Aclose(a);
    LIP_FAIL(where_text << ": attribute '" << attr << "' holds " << n << " values, expected a single " << wanted);
  }
  return a;
}

}  // namespace

std::string Hdf5File::read_attr_string(const std::string& object, const std::string& attr) const {
  LIP_REQUIRE(has(object), where(object) << ": no such group or dataset (reading attribute '" << attr << "')");
  const std::string obj = absolute_name(object);
  Handle a(open_scalar_attr(id_, where(object), obj, attr, "string"), H5Aclose);
  Handle type(LIP_CHECK_H5(H5Aget_type(a.get()), where(object) << ": attribute '" << attr << "'"), H5Tclose);
  LIP_REQUIRE(H5Tget_class(type.get()) == H5T_STRING,
              where(object) << ": attribute '" << attr << "': expected a string, found " << type_name(type.get()));
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem(LIP_CHECK_H5(H5Tcopy(H5T_C_S1), where(object) << ": attribute '" << attr << "'"), H5Tclose);
    LIP_CHECK_H5(H5Tset_size(mem.get(), H5T_VARIABLE), where(object) << ": attribute '" << attr << "'");
    LIP_CHECK_H5(H5Tset_cset(mem.get(), H5Tget_cset(type.get())), where(object) << ": attribute '" << attr << "'");
    char* text = nullptr;
    LIP_CHECK_H5(H5Aread(a.get(), mem.get(), &text), where(object) << ": reading attribute '" << attr << "'");
    std::string out = text ? text : "";
    H5free_memory(text);
    return out;
  }
  const size_t size = H5Tget_size(type.get());
  std::string out(size, '\0');
  LIP_CHECK_H5(H5Aread(a.get(), type.get(), out.data()), where(object) << ": reading attribute '" << attr << "'");
  switch (H5Tget_strpad(type.get())) {
    case H5T_STR_NULLTERM: out.resize(out.find('\0') == std::string::npos ? out.size() : out.find('\0')); break;
    case H5T_STR_SPACEPAD:
      while (!out.empty() && out.back() == ' ') out.pop_back();
      break;
    default:
      while (!out.empty() && out.back() == '\0') out.pop_back();
      break;
  }
  return out;
}

int64_t Hdf5File::read_attr_int(const std::string& object, const std::string& attr) const {
  LIP_REQUIRE(has(object), where(object) << ": no such group or dataset (reading attribute '" << attr << "')");
  const std::string obj = absolute_name(object);
  Handle a(open_scalar_attr(id_, where(object), obj, attr, "integer"), H5Aclose);
  Handle type(LIP_CHECK_H5(H5Aget_type(a.get()), where(object) << ": attribute '" << attr << "'"), H5Tclose);
  LIP_REQUIRE(H5Tget_class(type.get()) == H5T_INTEGER,
              where(object) << ": attribute '" << attr << "': expected an integer, found " << type_name(type.get()));
  int64_t value = 0;
  LIP_CHECK_H5(H5Aread(a.get(), H5T_NATIVE_INT64, &value), where(object) << ": reading attribute '" << attr << "'");
  return value;
}

double Hdf5File::read_attr_double(const std::string& object, const std::string& attr) const {
  LIP_REQUIRE(has(object), where(object) << ": no such group or dataset (reading attribute '" << attr << "')");
  const std::string obj = absolute_name(object);
  Handle a(open_scalar_attr(id_, where(object), obj, attr, "number"), H5Aclose);
  Handle type(LIP_CHECK_H5(H5Aget_type(a.get()), where(object) << ": attribute '" << attr << "'"), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  LIP_REQUIRE(cls == H5T_FLOAT || cls == H5T_INTEGER,
              where(object) << ": attribute '" << attr << "': expected a number, found " << type_name(type.get()));
  double value = 0;
  LIP_CHECK_H5(H5Aread(a.get(), H5T_NATIVE_DOUBLE, &value), where(object) << ": reading attribute '" << attr << "'");
  return value;
}

}  // namespace lip::io
