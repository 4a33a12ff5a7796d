#include "host-shim/default_plugin_path.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace armorclaw::host {
namespace {

namespace fs = std::filesystem;

// A prefix with bin/ (the host) and the installed plugin directory, both empty.
class DefaultPluginPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = fs::path(::testing::TempDir()) /
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(prefix_);
    fs::create_directories(bin());
    fs::create_directories(plugin_dir());
  }
  void TearDown() override { fs::remove_all(prefix_); }

  fs::path bin() const { return prefix_ / "bin"; }
  fs::path plugin_dir() const { return (bin() / InstalledPluginDirFromHost()).lexically_normal(); }
  std::string host() const { return (bin() / "armorclaw-eventbus-host").string(); }
  static void Touch(const fs::path& file) { std::ofstream(file).put('\n'); }

  fs::path prefix_;
};

TEST_F(DefaultPluginPathTest, TheInstalledDirectoryIsUnderTheSamePrefix) {
  EXPECT_EQ(plugin_dir(), prefix_ / "lib" / "armorclaw" / "plugins");
}

TEST_F(DefaultPluginPathTest, ThePluginNextToTheHostWins) {
  Touch(bin() / kPluginFileName);
  Touch(plugin_dir() / kPluginFileName);
  EXPECT_EQ(DefaultPluginPath(host()), (bin() / kPluginFileName).string());
}

TEST_F(DefaultPluginPathTest, InstalledTheHostFindsThePluginInThePluginDirectory) {
  Touch(plugin_dir() / kPluginFileName);
  EXPECT_EQ(DefaultPluginPath(host()), (plugin_dir() / kPluginFileName).string());
}

// The load error then names the installed location, where a package puts the plugin.
TEST_F(DefaultPluginPathTest, WithNeitherTheInstalledPathIsNamed) {
  EXPECT_EQ(DefaultPluginPath(host()), (plugin_dir() / kPluginFileName).string());
}

}  // namespace
}  // namespace armorclaw::host
