#include "artifacts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>

#include "krige/error.hpp"
#include "krige/limits.hpp"

namespace krige::service {
namespace {

constexpr const char* kReserved = ".krige-";

// An owned file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

[[noreturn]] void BadPath(const std::string& why) {
  throw Error(ErrorCode::kInvalidArgument, "artifact path: " + why, "path");
}

long Openat2(int dir, const char* path, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags);
  how.mode = mode;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
  return ::syscall(SYS_openat2, dir, path, &how, sizeof how);
}

bool KernelHasOpenat2() {
  const long fd = Openat2(AT_FDCWD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd >= 0) {
    ::close(static_cast<int>(fd));
    return true;
  }
  return errno != ENOSYS && errno != EPERM;  // EPERM: a seccomp filter that refuses it
}

// Opens `name` (one component, or with openat2 a relative path) under `dir` without following
// any symbolic link. Returns -1 with errno set (ELOOP/ENOTDIR for a link on the way).
int OpenBeneath(bool openat2, int dir, const std::string& name, int flags, mode_t mode = 0) {
  if (openat2) {
    const long fd = Openat2(dir, name.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, mode);
    return static_cast<int>(fd);
  }
  return ::openat(dir, name.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, mode);
}

[[noreturn]] void OpenFailed(int err, const std::string& what) {
  if (err == ELOOP || err == EXDEV)
    BadPath("\"" + what + "\" is or crosses a symbolic link; links are not followed");
  if (err == ENOTDIR) BadPath("\"" + what + "\" is not a directory");
  if (err == ENOENT) throw Error(ErrorCode::kNotFound, "no artifact " + what, "path");
  throw Error(ErrorCode::kInternal, "artifact " + what + ": " + std::strerror(err));
}

// Opens (creating when `create`) the directory `name` under `dir`, refusing links.
Fd OpenDir(bool openat2, int dir, const std::string& name, bool create, const std::string& shown) {
  if (create && ::mkdirat(dir, name.c_str(), 0750) != 0 && errno != EEXIST)
    throw Error(ErrorCode::kInternal, "artifact directory " + shown + ": " + std::strerror(errno));
  Fd fd(OpenBeneath(openat2, dir, name, O_RDONLY | O_DIRECTORY));
  if (!fd.ok()) {
    const int err = errno;
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
      OpenFailed(ELOOP, shown);
    OpenFailed(err, shown);
  }
  return fd;
}

std::string Join(const std::vector<std::string>& parts, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

}  // namespace

std::vector<std::string> ArtifactPath(const std::string& path) {
  if (path.empty()) BadPath("empty");
  if (path.size() > limits::kArtifactPathBytes)
    BadPath("longer than " + std::to_string(limits::kArtifactPathBytes) + " bytes");
  if (path.front() == '/') BadPath("absolute paths are not allowed");
  for (unsigned char c : path) {
    if (c == 0) BadPath("NUL is not allowed");
    if (c < 0x20 || c == 0x7f) BadPath("control characters are not allowed");
    if (c == '\\') BadPath("backslashes are not allowed");
  }
  if (!IsValidUtf8(path)) BadPath("not valid UTF-8");
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t slash = path.find('/', begin);
    parts.push_back(
        path.substr(begin, slash == std::string::npos ? std::string::npos : slash - begin));
    const std::string& part = parts.back();
    if (part.empty()) BadPath("empty components (\"//\" or a trailing '/') are not allowed");
    if (part == "." || part == "..") BadPath("\"" + part + "\" components are not allowed");
    if (part.rfind(kReserved, 0) == 0)
      BadPath("names starting with \"" + std::string(kReserved) + "\" are reserved");
    if (parts.size() > limits::kArtifactPathDepth)
      BadPath("deeper than " + std::to_string(limits::kArtifactPathDepth) + " components");
    if (slash == std::string::npos) break;
    begin = slash + 1;
  }
  return parts;
}

ArtifactStore::ArtifactStore(const std::string& root) : root_(root) {
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  root_fd_ = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0)
    throw Error(ErrorCode::kFailedPrecondition,
                "cannot open the artifact root " + root + ": " + std::strerror(errno));
  // KRIGE_ARTIFACTS_NO_OPENAT2=1 takes the fallback on a kernel that has openat2 (the tests run
  // the traversal suite both ways).
  const char* no_openat2 = std::getenv("KRIGE_ARTIFACTS_NO_OPENAT2");
  openat2_ = KernelHasOpenat2() && !(no_openat2 && std::string(no_openat2) == "1");
}

ArtifactStore::~ArtifactStore() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

ArtifactInfo ArtifactStore::Put(std::int64_t run, const std::string& path,
                                const std::string& bytes) {
  const std::vector<std::string> parts = ArtifactPath(path);
  Fd dir = OpenDir(openat2_, root_fd_, std::to_string(run), true, "(the run's directory)");
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    Fd next = OpenDir(openat2_, dir.get(), parts[i], true, Join(parts, i + 1));
    dir = std::move(next);
  }
  const std::string& name = parts.back();
  struct stat st {};
  if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) BadPath("\"" + path + "\" is a symbolic link; links are not followed");
    if (!S_ISREG(st.st_mode))
      throw Error(ErrorCode::kAlreadyExists, "\"" + path + "\" is a directory", "path");
  }
  static std::atomic<std::uint64_t> counter{0};
  const std::string temp = std::string(kReserved) + "upload-" + std::to_string(::getpid()) + "-" +
                           std::to_string(counter.fetch_add(1));
  Fd out(OpenBeneath(openat2_, dir.get(), temp, O_WRONLY | O_CREAT | O_EXCL, 0640));
  if (!out.ok()) OpenFailed(errno, path);
  const auto fail = [&](const char* what) {
    const int err = errno;
    ::unlinkat(dir.get(), temp.c_str(), 0);
    throw Error(ErrorCode::kInternal, std::string(what) + " " + path + ": " + std::strerror(err));
  };
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(out.get(), bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("writing artifact");
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(out.get()) != 0) fail("syncing artifact");
  if (::renameat(dir.get(), temp.c_str(), dir.get(), name.c_str()) != 0) fail("storing artifact");
  return ArtifactInfo{Join(parts, parts.size()), static_cast<std::int64_t>(bytes.size())};
}

std::string ArtifactStore::Get(std::int64_t run, const std::string& path) {
  const std::vector<std::string> parts = ArtifactPath(path);
  Fd file;
  if (openat2_) {
    // One call resolves the whole path beneath the root, refusing any link.
    file = Fd(OpenBeneath(true, root_fd_, std::to_string(run) + "/" + Join(parts, parts.size()),
                          O_RDONLY));
    if (!file.ok()) OpenFailed(errno, path);
  } else {
    Fd dir = OpenDir(false, root_fd_, std::to_string(run), false, "(the run's directory)");
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      Fd next = OpenDir(false, dir.get(), parts[i], false, Join(parts, i + 1));
      dir = std::move(next);
    }
    file = Fd(OpenBeneath(false, dir.get(), parts.back(), O_RDONLY));
    if (!file.ok()) OpenFailed(errno, path);
  }
  struct stat st {};
  if (::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(ErrorCode::kNotFound, "no artifact " + path + " (not a file)", "path");
  if (static_cast<std::uint64_t>(st.st_size) > limits::kArtifactBytes)
    throw Error(ErrorCode::kPayloadTooLarge, "artifact " + path + " is too large", "path");
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(file.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(ErrorCode::kInternal, "reading artifact " + path);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

std::vector<ArtifactInfo> ArtifactStore::List(std::int64_t run) {
  std::vector<ArtifactInfo> out;
  const int run_fd = OpenBeneath(openat2_, root_fd_, std::to_string(run), O_RDONLY | O_DIRECTORY);
  if (run_fd < 0) {
    if (errno == ENOENT) return out;
    OpenFailed(errno, "(the run's directory)");
  }
  // Depth-first over directories opened relative to their parent, never through a link.
  std::function<void(int, const std::string&, std::size_t)> walk =
      [&](int fd, const std::string& prefix, std::size_t depth) {
        DIR* d = ::fdopendir(fd);
        if (!d) {
          ::close(fd);
          return;
        }
        std::vector<std::string> names;
        while (dirent* e = ::readdir(d)) {
          const std::string name = e->d_name;
          if (name == "." || name == ".." || name.rfind(kReserved, 0) == 0) continue;
          names.push_back(name);
        }
        std::sort(names.begin(), names.end());
        for (const auto& name : names) {
          if (out.size() >= limits::kArtifactList) break;
          struct stat st {};
          if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
          const std::string path = prefix.empty() ? name : prefix + "/" + name;
          if (S_ISREG(st.st_mode)) {
            out.push_back({path, static_cast<std::int64_t>(st.st_size)});
          } else if (S_ISDIR(st.st_mode) && depth < limits::kArtifactPathDepth) {
            const int sub =
                ::openat(::dirfd(d), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) walk(sub, path, depth + 1);
          }
        }
        ::closedir(d);
      };
  walk(run_fd, "", 1);
  return out;
}

}  // namespace krige::service
