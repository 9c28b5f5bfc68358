#include "page_cache.hpp"

#include <gtest/gtest.h>

namespace krige::web {
namespace {

TEST(PageCacheTest, ABodyIsServedOnlyAtTheVersionItWasRenderedFrom) {
  PageCache cache(1 << 20);
  EXPECT_EQ(cache.Find("a", "1"), nullptr);
  cache.Put("a", "1", "body at 1");
  ASSERT_NE(cache.Find("a", "1"), nullptr);
  EXPECT_EQ(*cache.Find("a", "1"), "body at 1");
  EXPECT_EQ(cache.Find("b", "1"), nullptr);
  // A newer version makes the kept body stale for good: it is dropped, not kept beside.
  EXPECT_EQ(cache.Find("a", "2"), nullptr);
  EXPECT_EQ(cache.Find("a", "1"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
  cache.Put("a", "2", "body at 2");
  cache.Put("a", "3", "body at 3");  // replaces, not adds
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(*cache.Find("a", "3"), "body at 3");
  EXPECT_EQ(cache.bytes(), std::string("a3body at 3").size());
}

TEST(PageCacheTest, TheBoundHoldsAndTheLeastRecentlyServedGoFirst) {
  PageCache cache(1000);
  const std::string body(90, 'x');  // with its key and version, within an eighth of the bound
  for (int i = 0; i < 11; ++i) cache.Put("k" + std::to_string(i), "v", body);  // 10 fit
  EXPECT_LE(cache.bytes(), 1000u);
  EXPECT_EQ(cache.Find("k0", "v"), nullptr);  // the oldest went
  ASSERT_NE(cache.Find("k10", "v"), nullptr);
  ASSERT_NE(cache.Find("k3", "v"), nullptr);  // served: now the most recent
  for (int i = 11; i < 15; ++i) cache.Put("k" + std::to_string(i), "v", body);
  EXPECT_LE(cache.bytes(), 1000u);
  EXPECT_NE(cache.Find("k3", "v"), nullptr);
  EXPECT_EQ(cache.Find("k4", "v"), nullptr);
  // Too large a body is not kept at all.
  cache.Put("big", "v", std::string(200, 'y'));
  EXPECT_EQ(cache.Find("big", "v"), nullptr);
  EXPECT_LE(cache.bytes(), 1000u);
}

}  // namespace
}  // namespace krige::web
