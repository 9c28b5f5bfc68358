#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "krige/error.hpp"
#include "krige/sha256.hpp"
#include "objectives/cv_objective.hpp"
#include "objectives/dataset_cache.hpp"
#include "test_env.hpp"

namespace krige::objectives {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kCsv = "x,target\n1,0\n2,1\n";

TEST(DatasetCacheTest, DownloadsOnceThenServesTheFile) {
  testing::TempDir dir;
  std::atomic<int> fetched{0};
  std::string asked_url;
  DatasetCache cache(dir.path() + "/cache",
                     [&](const std::string& url, const std::string&, const std::string&) {
                       ++fetched;
                       asked_url = url;
                       return kCsv;
                     });
  const std::string sha = Sha256Hex(kCsv);
  const std::string path = cache.Path("http://coord:8080", sha);
  EXPECT_EQ(path, dir.path() + "/cache/" + sha + ".csv");
  EXPECT_EQ(ReadFile(path), kCsv);
  EXPECT_EQ(asked_url, "http://coord:8080");
  EXPECT_EQ(cache.Path("http://coord:8080", sha), path);
  EXPECT_EQ(fetched, 1);
  EXPECT_EQ(cache.downloads(), 1);
  // A second cache over the same directory (another worker process) finds the file.
  DatasetCache other(dir.path() + "/cache",
                     [&](const std::string&, const std::string&, const std::string&) {
                       ++fetched;
                       return kCsv;
                     });
  EXPECT_EQ(other.Path("", sha), path);
  EXPECT_EQ(fetched, 1);
  // Nothing but the dataset is left in the directory (no temporary files).
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path() + "/cache")) ++files, (void)e;
  EXPECT_EQ(files, 1);
}

TEST(DatasetCacheTest, ConcurrentSlotsShareOneDownload) {
  testing::TempDir dir;
  std::atomic<int> fetched{0};
  DatasetCache cache(dir.path(), [&](const std::string&, const std::string&, const std::string&) {
    ++fetched;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return kCsv;
  });
  std::vector<std::thread> slots;
  for (int i = 0; i < 4; ++i)
    slots.emplace_back([&] { cache.Path("http://c:1", Sha256Hex(kCsv)); });
  for (auto& t : slots) t.join();
  EXPECT_EQ(fetched, 1);
}

TEST(DatasetCacheTest, RejectsBytesThatDoNotMatchTheHash) {
  testing::TempDir dir;
  DatasetCache cache(dir.path(), [](const std::string&, const std::string&, const std::string&) {
    return std::string("tampered\n");
  });
  const std::string sha = Sha256Hex(kCsv);
  try {
    cache.Path("http://c:1", sha);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("has sha256 " + Sha256Hex("tampered\n")));
  }
  EXPECT_FALSE(fs::exists(dir.path() + "/" + sha + ".csv"));
  EXPECT_THROW(cache.Path("http://c:1", "not-a-hash"), Error);
  DatasetCache no_url(dir.path() + "/2", [](const std::string&, const std::string&,
                                            const std::string&) { return kCsv; });
  EXPECT_THROW(no_url.Path("", sha), Error);
}

TEST(DatasetCacheTest, DefaultDirFollowsXdg) {
  EXPECT_EQ(DatasetCache::DefaultDir("/x/cache", "/users/u"), "/x/cache/krige/datasets");
  EXPECT_EQ(DatasetCache::DefaultDir("", "/users/u"), "/users/u/.cache/krige/datasets");
  EXPECT_EQ(DatasetCache::DefaultDir(nullptr, "/users/u"), "/users/u/.cache/krige/datasets");
}

TEST(CvObjectiveTest, TrainsOnAFetchedDataset) {
  testing::TempDir dir;
  const std::string csv = ReadFile(krige::testing::SourceDir() + "/examples/data/iris.csv");
  ASSERT_FALSE(csv.empty());
  std::string asked_capability;
  auto cache = std::make_shared<DatasetCache>(
      dir.path(), [&](const std::string&, const std::string&, const std::string& capability) {
        asked_capability = capability;
        return csv;
      });
  TrialContext trial;
  trial.params = {{"C", 1.0}};
  trial.training.dataset = "sha256:" + Sha256Hex(csv);
  trial.training.model = "logistic_regression";
  trial.training.folds = 3;
  trial.objective = {"accuracy", Goal::kMaximize};
  trial.api_url = "http://coordinator:8080";
  trial.dataset_capability = "v1.123.abc";
  const TrialOutput out = MakeCvObjective(cache)(trial);
  EXPECT_EQ(asked_capability, "v1.123.abc");  // the ASSIGN's capability goes with the download
  EXPECT_GT(out.value, 0.8);
  EXPECT_EQ(out.steps.size(), 3u);
  EXPECT_EQ(cache->downloads(), 1);

  trial.training.dataset = "name:iris";  // must have been resolved by the server
  EXPECT_THROW(MakeCvObjective(cache)(trial), Error);
}

}  // namespace
}  // namespace krige::objectives
