// File access for the .bronze format: atomic writing (temporary file in the same directory,
// write, fsync, rename, fsync of the directory; all-zero blocks become holes so zero-filled
// weights stay sparse) and reading a whole file by mmap (private, copy-on-write pages, kept alive
// by a Storage deleter) or by read() into aligned memory.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "serialization/format_internal.h"

namespace bronze::format {
namespace {

std::string Errno() { return std::strerror(errno); }

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

constexpr uint64_t kBlock = 4096;

bool AllZero(const uint8_t* p, uint64_t n) {
  uint64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w) return false;
  }
  for (; i < n; ++i) {
    if (p[i]) return false;
  }
  return true;
}

class TempFile {
 public:
  explicit TempFile(const std::string& target) {
    static std::atomic<uint64_t> counter{0};
    path_ = target + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw IoError("cannot create '" + path_ + "': " + Errno());
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  // Writes `n` bytes at the current position; all-zero 4 KiB blocks are skipped (holes).
  void Write(const uint8_t* p, uint64_t n) {
    while (n > 0) {
      uint64_t chunk = std::min<uint64_t>(n, kBlock - pos_ % kBlock);
      if (AllZero(p, chunk)) {
        pos_ += chunk;
      } else {
        uint64_t end = chunk;
        // Coalesce non-zero blocks into one write (up to 1 MiB).
        while (end < n && end < (1u << 20)) {
          uint64_t next = std::min<uint64_t>(n - end, kBlock);
          if (AllZero(p + end, next)) break;
          end += next;
        }
        PWrite(p, end);
        chunk = end;
      }
      p += chunk;
      n -= chunk;
    }
  }
  void Zeros(uint64_t n) { pos_ += n; }

  void Commit(const std::string& target) {
    if (::ftruncate(fd_, static_cast<off_t>(pos_)) != 0) Fail("ftruncate");
    if (::fsync(fd_) != 0) Fail("fsync");
    if (::close(fd_) != 0) {
      fd_ = -1;
      Fail("close");
    }
    fd_ = -1;
    if (::rename(path_.c_str(), target.c_str()) != 0) {
      throw IoError("cannot rename '" + path_ + "' to '" + target + "': " + Errno());
    }
    committed_ = true;
    int dir = ::open(DirectoryOf(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {  // best effort: the rename itself already happened
      ::fsync(dir);
      ::close(dir);
    }
  }

 private:
  void PWrite(const uint8_t* p, uint64_t n) {
    while (n > 0) {
      ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(pos_));
      if (w < 0) {
        if (errno == EINTR) continue;
        Fail("write");
      }
      p += w;
      n -= static_cast<uint64_t>(w);
      pos_ += static_cast<uint64_t>(w);
    }
  }
  [[noreturn]] void Fail(const char* what) {
    throw IoError(std::string(what) + " of '" + path_ + "' failed: " + Errno());
  }

  std::string path_;
  int fd_ = -1;
  uint64_t pos_ = 0;
  bool committed_ = false;
};

}  // namespace

void WriteFileAtomically(const std::string& path, const EncodedFile& file) {
  TempFile tmp(path);
  tmp.Write(file.table.data(), file.table.size());
  uint64_t base = AlignUp(file.table.size());
  tmp.Zeros(base - file.table.size());
  uint64_t at = 0;
  for (const Segment& s : file.segments) {
    tmp.Zeros(s.offset - at);
    tmp.Write(static_cast<const uint8_t*>(s.data), s.size);
    at = s.offset + s.size;
  }
  tmp.Zeros(file.weight_section_size - at);
  tmp.Commit(path);
}

FileBytes ReadFile(const std::string& path, bool mmap, uint64_t memory_budget) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError("cannot open '" + path + "': " + Errno());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw IoError("cannot stat '" + path + "': " + Errno());
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  FileBytes out;
  out.size = size;
  if (mmap && size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) throw IoError("cannot map '" + path + "': " + Errno());
    out.storage = std::make_shared<Storage>(p, size, Device::CPU(),
                                            [size](void* q) { ::munmap(q, size); });
    out.data = static_cast<const uint8_t*>(p);
    return out;
  }
  if (memory_budget && size > memory_budget) {
    ::close(fd);
    throw ModelFormatError(LoadErrorCode::kMemoryBudget, "",
                           "reading the file needs " + std::to_string(size) +
                               " bytes, more than the memory budget of " +
                               std::to_string(memory_budget) + " bytes");
  }
  try {
    out.storage = Storage::Allocate(std::max<uint64_t>(size, 1), Device::CPU());
  } catch (...) {
    ::close(fd);
    throw;
  }
  auto* dst = static_cast<uint8_t*>(out.storage->data());
  uint64_t done = 0;
  while (done < size) {
    ssize_t r = ::pread(fd, dst + done, size - done, static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      std::string err = r < 0 ? Errno() : "unexpected end of file";
      ::close(fd);
      throw IoError("cannot read '" + path + "': " + err);
    }
    done += static_cast<uint64_t>(r);
  }
  ::close(fd);
  out.data = dst;
  return out;
}

}  // namespace bronze::format
