#include <gtest/gtest.h>

#include "krige/sha256.hpp"

namespace krige {
namespace {

TEST(Sha256Test, KnownDigests) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, IncrementalEqualsWhole) {
  const std::string text(100000, 'k');
  Sha256 h;
  for (std::size_t at = 0; at < text.size(); at += 4097)
    h.Update(std::string_view(text).substr(at, 4097));
  EXPECT_EQ(h.HexDigest(), Sha256Hex(text));
}

TEST(Sha256Test, RecognisesHexDigests) {
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("x")));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'A')));  // lower-case only
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'g')));
}

}  // namespace
}  // namespace krige
