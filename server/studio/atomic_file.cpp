#include "foley/studio/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "foley/studio/secrets.h"

namespace foley::studio {

namespace {
[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path, int error) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(error));
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};
}  // namespace

void fsync_directory(const std::filesystem::path& directory) {
  FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) fail("cannot open directory", directory, errno);
  if (::fsync(dir.get()) != 0) fail("cannot fsync directory", directory, errno);
}

void write_file_atomically(const std::filesystem::path& target, const std::string& bytes) {
  // A unique temporary name: concurrent writers never share one.
  // (Built by appending: GCC 12 at -O2 warns falsely on chained operator+ here.)
  std::string temp_name = ".";
  temp_name.append(target.filename().string()).append(".").append(random_hex(6)).append(kTempSuffix);
  const std::filesystem::path temp = target.parent_path() / temp_name;
  FileDescriptor file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (file.get() < 0) fail("cannot create", temp, errno);
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(file.get(), bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::unlink(temp.c_str());
      fail("cannot write", temp, error);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(file.get()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail("cannot fsync", temp, error);
  }
  if (::close(file.release()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail("cannot close", temp, error);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail("cannot rename into place", target, error);
  }
  fsync_directory(target.parent_path());
}

}  // namespace foley::studio
