// Internal to the SDK: another connection to the server a transport talks to, for requests that
// should go in parallel (the Tracker's batches). Not in the public headers: the Transport
// interface stays one method.
#pragma once

#include <memory>

#include "krige/client.hpp"

namespace krige::detail {

// A new HTTP transport with the same URL, timeout, token and CA file as `transport` and a
// connection of its own; nullptr when `transport` is not the HTTP one (a test's fake), and
// callers then share it.
std::shared_ptr<Transport> NewConnection(const Transport& transport);

}  // namespace krige::detail
