// The dataset store on a real PostgreSQL: bytes by hash (binary-safe), idempotent uploads,
// names resolving to the latest upload; and the service on top (hashing, "name:" resolution).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "datasets.hpp"
#include "experiments.hpp"
#include "krige/codec.hpp"
#include "krige/sha256.hpp"
#include "krige/storage/pg.hpp"
#include "test_env.hpp"

namespace krige::storage {
namespace {

class DatasetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = pg::OpenDatabase(database_.url());
    pg::ApplyMigrations(*db_);
    datasets_ = pg::MakeDatasetRepository(db_);
    experiments_ = pg::MakeExperimentRepository(db_);
    trials_ = pg::MakeTrialRepository(db_);
  }

  // Every byte value, NULs included: bytea must not be treated as text.
  static std::string Binary() {
    std::string s;
    for (int i = 0; i < 3 * 256; ++i) s += static_cast<char>(i % 256);
    return s;
  }

  testing::TestDatabase database_;
  std::shared_ptr<pg::Database> db_;
  std::unique_ptr<DatasetRepository> datasets_;
  std::unique_ptr<ExperimentRepository> experiments_;
  std::unique_ptr<TrialRepository> trials_;
};

TEST_F(DatasetsTest, BytesRoundTripExactly) {
  const std::string bytes = Binary();
  const std::string sha = Sha256Hex(bytes);
  const service::Upload up = datasets_->Put(sha, "binary", bytes);
  EXPECT_TRUE(up.created);
  EXPECT_EQ(up.dataset.sha256, sha);
  EXPECT_EQ(up.dataset.size, static_cast<std::int64_t>(bytes.size()));
  EXPECT_FALSE(up.dataset.created_at.empty());
  const auto back = datasets_->Bytes(sha);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, bytes);
  EXPECT_FALSE(datasets_->Bytes(std::string(64, '0')));
  EXPECT_FALSE(datasets_->Find(std::string(64, '0')));
}

TEST_F(DatasetsTest, SameBytesAgainIsNotANewDataset) {
  const std::string sha = Sha256Hex("a\n1\n");
  EXPECT_TRUE(datasets_->Put(sha, "first", "a\n1\n").created);
  const service::Upload again = datasets_->Put(sha, "second", "a\n1\n");
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.dataset.name, "second");  // the latest upload names it
  EXPECT_EQ(datasets_->List(std::nullopt, 100).size(), 1u);
}

TEST_F(DatasetsTest, ANameMeansItsLatestUpload) {
  const std::string v1 = Sha256Hex("x\n1\n"), v2 = Sha256Hex("x\n2\n");
  datasets_->Put(v1, "iris", "x\n1\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  datasets_->Put(v2, "iris", "x\n2\n");
  ASSERT_TRUE(datasets_->FindByName("iris"));
  EXPECT_EQ(datasets_->FindByName("iris")->sha256, v2);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  datasets_->Put(v1, "iris", "x\n1\n");  // v1 uploaded again: latest once more
  EXPECT_EQ(datasets_->FindByName("iris")->sha256, v1);
  EXPECT_FALSE(datasets_->FindByName("wine"));

  const auto listed = datasets_->List(std::string("iris"), 100);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].sha256, v1);  // newest first
  EXPECT_EQ(datasets_->List(std::nullopt, 1).size(), 1u);
}

TEST_F(DatasetsTest, ServiceHashesAndChecksInput) {
  service::StoredDatasetService service(*datasets_);
  const service::Upload up = service.Put("tiny", "a,target\n1,0\n");
  EXPECT_EQ(up.dataset.sha256, Sha256Hex("a,target\n1,0\n"));
  EXPECT_EQ(service.Bytes(up.dataset.sha256), "a,target\n1,0\n");
  EXPECT_THROW(service.Put("", "x"), Error);
  EXPECT_THROW(service.Put("tiny", ""), Error);
  EXPECT_THROW(service.Put("bad\nname", "x"), Error);
  try {
    service.Bytes("nothex");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.field(), "sha256");
  }
  try {
    service.Bytes(std::string(64, 'a'));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

ExperimentSpec CvSpec(const std::string& dataset) {
  return SpecFromJson(Json{{"name", "datasets test"},
                           {"objective", {{"metric", "accuracy"}}},
                           {"max_trials", 2},
                           {"space", {{"C", {{"type", "float"}, {"low", 0.1}, {"high", 10}}}}},
                           {"training", {{"dataset", dataset}, {"model", "logistic_regression"}}}});
}

TEST_F(DatasetsTest, ExperimentsStoreNamesAsHashes) {
  service::StoredDatasetService datasets(*datasets_);
  service::StoredExperimentService experiments(*experiments_, *trials_, nullptr, datasets_.get());
  const std::string sha = datasets.Put("tiny", "a,target\n1,0\n").dataset.sha256;

  const Experiment by_name = experiments.Create(CvSpec("name:tiny"));
  EXPECT_EQ(by_name.spec.training.dataset, "sha256:" + sha);
  EXPECT_EQ(experiments.Get(by_name.id).spec.training.dataset, "sha256:" + sha);
  const Experiment by_hash = experiments.Create(CvSpec("sha256:" + sha));
  EXPECT_EQ(by_hash.spec.training.dataset, "sha256:" + sha);
  const Experiment by_path = experiments.Create(CvSpec("/data/x.csv"));
  EXPECT_EQ(by_path.spec.training.dataset, "/data/x.csv");

  for (const std::string& unknown : {std::string("name:nope"), "sha256:" + std::string(64, 'e')}) {
    try {
      experiments.Create(CvSpec(unknown));
      FAIL() << unknown;
    } catch (const ValidationError& e) {
      ASSERT_EQ(e.problems().size(), 1u);
      EXPECT_EQ(e.problems()[0].field, "training.dataset");
    }
  }
  EXPECT_EQ(experiments.List({}).experiments.size(), 3u);  // the unknown ones were not stored
}

}  // namespace
}  // namespace krige::storage
