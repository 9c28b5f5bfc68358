// The dashboard files, bundled and embedded into the binary by web/CMakeLists.txt.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace krige::web {

// File name ("app.js") -> contents. The views point into static storage.
const std::map<std::string, std::string_view>& DashboardAssets();

}  // namespace krige::web
