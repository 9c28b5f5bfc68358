// Files compiled into a program by cmake/Embed.cmake (migrations, dashboard assets).
#pragma once

#include <cstddef>

namespace krige {

struct EmbeddedFile {
  const char* name;  // file name without directories
  const char* text;
  std::size_t size;
};

}  // namespace krige
