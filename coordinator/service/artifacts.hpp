// Run artifacts as files under one root directory: ROOT/<run id>/<path>. Every path is checked
// as text first (ArtifactPath) and then opened one component at a time relative to the root's
// descriptor, never following a symbolic link (openat2 with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS where the kernel has it, else openat with O_NOFOLLOW per component), so
// nothing can be read or written outside the run's directory, whatever the path or the
// directory's contents.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "krige/service/run_service.hpp"

namespace krige::service {

// The components of an artifact path ("plots/loss.png" -> {"plots", "loss.png"}). Throws
// Error(kInvalidArgument, field "path") naming the problem for: an empty path, one longer than
// limits::kArtifactPathBytes or deeper than kArtifactPathDepth, an absolute path (leading '/'),
// an empty, "." or ".." component, a backslash, NUL or another control character, invalid
// UTF-8, or a component starting with ".krige-" (reserved for uploads in progress).
std::vector<std::string> ArtifactPath(const std::string& path);

// Thread-safe (each call opens its own descriptors; an upload is written to a private
// temporary file and renamed into place, so readers never see half a file).
class ArtifactStore {
 public:
  // Creates `root` (and its parents) when missing. Throws Error(kFailedPrecondition) when it
  // cannot be created or opened.
  explicit ArtifactStore(const std::string& root);
  ~ArtifactStore();
  ArtifactStore(const ArtifactStore&) = delete;
  ArtifactStore& operator=(const ArtifactStore&) = delete;

  const std::string& root() const { return root_; }

  // Throws kInvalidArgument (field "path") for a bad path or a symbolic link on the way,
  // kAlreadyExists when the path names a directory, kInternal for an I/O failure.
  ArtifactInfo Put(std::int64_t run, const std::string& path, const std::string& bytes);
  // Throws kNotFound when there is no such file, kInvalidArgument as Put, kPayloadTooLarge
  // for a file larger than limits::kArtifactBytes (put there by something else).
  std::string Get(std::int64_t run, const std::string& path);
  // Every regular file of the run (symbolic links are not followed, nor listed), by path; at
  // most limits::kArtifactList.
  std::vector<ArtifactInfo> List(std::int64_t run);

  // Whether openat2 is used (false: the per-component fallback).
  bool uses_openat2() const { return openat2_; }

 private:
  std::string root_;
  int root_fd_ = -1;
  bool openat2_ = false;
};

}  // namespace krige::service
