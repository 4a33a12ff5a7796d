// The operator listener as an operator meets it: Prometheus's promtool reads /metrics, the figures are the
// stats', the series are docs/operations.md's, the probes answer while the I/O thread is stuck or stopping.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/http/empty_body.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/beast/http/write.hpp"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/docs/doc_text.h"
#include "tests/support/running_plugin.h"
#include "tests/support/stalling_host.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using Response = http::response<http::string_body>;

// The operator URL from the start line "metrics and health on http://HOST:PORT (metrics_addr)".
std::string MetricsUrl(const LogCapture& logs) {
  constexpr std::string_view kPrefix = "metrics and health on http://";
  for (const std::string& line : logs.lines()) {
    if (line.rfind(kPrefix, 0) == 0) return line.substr(kPrefix.size(), line.find(' ', kPrefix.size()) - kPrefix.size());
  }
  throw std::runtime_error("no \"metrics and health on\" line in the log");
}

// One HTTP/1.1 request to HOST:PORT, with a deadline.
Response Request(const std::string& host_port, http::verb method, const std::string& target) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  const size_t colon = host_port.rfind(':');
  asio::ip::tcp::resolver resolver(io);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(resolver.resolve(host_port.substr(0, colon), host_port.substr(colon + 1)));
  http::request<http::empty_body> request(method, target, 11);
  request.set(http::field::host, host_port);
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.skip(method == http::verb::head);  // A HEAD answer has a Content-Length but no body.
  http::read(stream, buffer, parser);
  return parser.release();
}

Response Get(const std::string& host_port, const std::string& target) {
  return Request(host_port, http::verb::get, target);
}

// Runs a command with `input` on its standard input; returns its exit status and what it printed.
std::pair<int, std::string> RunWithInput(const std::string& command, const std::string& input) {
  char path[] = "/tmp/metrics_test_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  std::ofstream(path) << input;
  const std::string output_path = std::string(path) + ".out";
  const int status = std::system((command + " < " + path + " > " + output_path + " 2>&1").c_str());
  std::stringstream output;
  output << std::ifstream(output_path).rdbuf();
  std::remove(path);
  std::remove(output_path.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output.str()};
}

// Sample lines of an exposition: series (name and labels) to value.
std::map<std::string, double> Samples(const std::string& exposition) {
  std::map<std::string, double> samples;
  for (absl::string_view line : absl::StrSplit(exposition, '\n', absl::SkipEmpty())) {
    if (line.front() == '#') continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    EXPECT_TRUE(absl::SimpleAtod(line.substr(space + 1), &value)) << line;
    samples[std::string(line.substr(0, space))] = value;
  }
  return samples;
}

// One row of docs/operations.md's series table.
struct DocumentedSeries {
  std::string series;  // With its labels, as a sample line names it.
  std::string type;
  std::string stats_field;  // Empty for a histogram.
};

std::string Unquoted(absl::string_view cell) {
  cell = absl::StripAsciiWhitespace(cell);
  absl::ConsumePrefix(&cell, "`");
  absl::ConsumeSuffix(&cell, "`");
  return std::string(cell);
}

std::vector<DocumentedSeries> DocumentedSeriesTable() {
  std::vector<DocumentedSeries> table;
  const std::string section = docs::Section(docs::ReadSource("docs/operations.md"), "### Series");
  for (const std::string& line : docs::Lines(section)) {
    if (line.rfind("| `armorclaw_eventbus_", 0) != 0) continue;
    const std::vector<std::string> cells = absl::StrSplit(line, '|');
    // "", series, type, meaning, stats field, ""
    if (cells.size() != 6) {
      ADD_FAILURE() << "a series row has other than four cells: " << line;
      continue;
    }
    const std::string field = Unquoted(cells[4]);
    table.push_back({Unquoted(cells[1]), Unquoted(cells[2]), field == "—" ? "" : field});
  }
  EXPECT_GT(table.size(), 20u) << "the series table of docs/operations.md was not found";
  return table;
}

constexpr std::string_view kEvent =
    R"({"type":"m.room.message","room_id":"!ops:example.org","sender":"@alice:example.org","content":{"body":"hi"}})";

TEST(MetricsTest, ScrapedUnderLoadPassesPromtoolAndEqualsTheStatsOnceQuiet) {
  RunningPlugin plugin({{"metrics_addr", "127.0.0.1:0"}, {"pii_scrubbing", "false"}});
  const std::string metrics = MetricsUrl(plugin.logs());
  constexpr int kClients = 20;
  constexpr int kEvents = 3000;
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<WsClient>(plugin.url()));
    clients.back()->Subscribe("");
  }
  // Scraped while events are being published and delivered.
  std::atomic<bool> publishing{true};
  std::vector<std::string> scrapes_under_load;
  std::thread scraper([&] {
    while (publishing.load()) {
      Response response = Get(metrics, "/metrics");
      EXPECT_EQ(response.result_int(), 200);
      scrapes_under_load.push_back(std::move(response.body()));
    }
  });
  for (int i = 0; i < kEvents; ++i) plugin.Publish(kEvent);
  publishing.store(false);
  scraper.join();
  ASSERT_FALSE(scrapes_under_load.empty());
  for (const std::string& body : {scrapes_under_load.front(), scrapes_under_load.back()}) {
    const auto [status, output] = RunWithInput("promtool check metrics", body);
    EXPECT_EQ(status, 0) << "promtool check metrics: " << output;
    EXPECT_EQ(output, "") << "promtool check metrics reports problems";
  }

  // Quiet: nothing published, everything delivered and taken by the kernel.
  for (auto& client : clients) {
    for (int i = 0; i < kEvents; ++i) client->ReadJson();
  }
  plugin.AwaitStat("deliveries", uint64_t{kClients} * kEvents);
  plugin.AwaitStat("queued_bytes", 0);
  const Response response = Get(metrics, "/metrics");
  const boost::json::object stats = boost::json::parse(*plugin.instance().Stats()).as_object();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  const auto [status, output] = RunWithInput("promtool check metrics", response.body());
  EXPECT_EQ(status, 0) << output;
  const std::map<std::string, double> samples = Samples(response.body());

  const std::vector<DocumentedSeries> documented = DocumentedSeriesTable();
  for (const DocumentedSeries& row : documented) {
    if (row.type == "histogram") {
      EXPECT_TRUE(samples.count(row.series + "_count")) << row.series << " is documented but not exposed";
      continue;
    }
    ASSERT_TRUE(samples.count(row.series)) << row.series << " is documented but not exposed";
    ASSERT_TRUE(stats.contains(row.stats_field)) << row.stats_field << " is not a stats field";
    const boost::json::value& figure = stats.at(row.stats_field);
    const double expected = figure.is_bool() ? (figure.as_bool() ? 1 : 0) : figure.to_number<double>();
    EXPECT_EQ(samples.at(row.series), expected) << row.series << " vs stats " << row.stats_field;
  }
  // And nothing exposed goes undocumented.
  for (const auto& [series, value] : samples) {
    const bool listed = std::any_of(documented.begin(), documented.end(), [&](const DocumentedSeries& row) {
      return series == row.series || (row.type == "histogram" && series.rfind(row.series + "_", 0) == 0);
    });
    EXPECT_TRUE(listed) << series << " is exposed but not in docs/operations.md";
  }
  // Every 64th event is timed, once per receiver; every delivery went through at least one writev.
  EXPECT_EQ(samples.at("armorclaw_eventbus_publish_to_socket_seconds_count"), kClients * (kEvents / 64));
  EXPECT_GT(samples.at("armorclaw_eventbus_publish_to_socket_seconds_sum"), 0);
  EXPECT_GE(samples.at("armorclaw_eventbus_write_batch_bytes_count"), kClients);
  EXPECT_EQ(samples.at("armorclaw_eventbus_events_published_total"), kEvents);
}

TEST(MetricsTest, HealthzTurnsStalledWhileTheIoThreadIsStuckAndOkAfter) {
  StallingHost host_state;
  const aceb_host host = host_state.Host();
  auto library = host::PluginLibrary::Open(PluginPath());
  ASSERT_TRUE(library.ok()) << library.status();
  auto instance = host::PluginInstance::Create(
      *library, host, {{"websocket_addr", "127.0.0.1:0"}, {"metrics_addr", "127.0.0.1:0"}, {"ping_interval", "0s"}});
  ASSERT_TRUE(instance.ok()) << instance.status();
  ASSERT_TRUE(instance->Start().ok());
  std::string metrics;
  {
    std::lock_guard lock(host_state.mutex);
    for (const std::string& line : host_state.lines) {
      if (line.rfind("metrics and health on http://", 0) == 0) metrics = line.substr(29, line.find(' ', 29) - 29);
    }
  }
  ASSERT_FALSE(metrics.empty());
  const Response healthy = Get(metrics, "/healthz");
  EXPECT_EQ(healthy.result_int(), 200);
  EXPECT_EQ(healthy.body(), R"({"status":"ok"})");

  host_state.stall.store(true);
  // The upgrade completes on the I/O thread, which then logs "opened" and blocks there; the client's own
  // handshake has its answer already, so it returns.
  std::thread client([url = *instance->ListenUrl()] { WsClient connected(url); });
  Response stalled;
  for (const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
       std::chrono::steady_clock::now() < give_up;) {
    stalled = Get(metrics, "/healthz");
    if (stalled.result_int() != 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(host_state.stalled.load());
  EXPECT_EQ(stalled.result_int(), 503);
  EXPECT_THAT(stalled.body(), StartsWith(R"({"status":"stalled","seconds_since_heartbeat":)"));
  const double seconds = boost::json::parse(stalled.body()).at("seconds_since_heartbeat").to_number<double>();
  EXPECT_GT(seconds, 2.0);
  // /metrics answers too: it reads only atomics.
  EXPECT_EQ(Get(metrics, "/metrics").result_int(), 200);

  host_state.release.store(true);
  client.join();
  Response recovered;
  for (const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
       std::chrono::steady_clock::now() < give_up;) {
    recovered = Get(metrics, "/healthz");
    if (recovered.result_int() == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(recovered.result_int(), 200);
  EXPECT_EQ(recovered.body(), R"({"status":"ok"})");
  // The first beat after the stall ran as late as the stall was long, less the one beat interval it was
  // not yet due: an operator sees it in the lateness histogram long after /healthz is back to ok.
  const std::map<std::string, double> after = Samples(Get(metrics, "/metrics").body());
  EXPECT_EQ(after.at(R"(armorclaw_eventbus_io_thread_lateness_seconds_bucket{le="1"})") + 1,
            after.at("armorclaw_eventbus_io_thread_lateness_seconds_count"));
  EXPECT_GE(after.at("armorclaw_eventbus_io_thread_lateness_seconds_sum"), seconds - 0.025);
  EXPECT_TRUE(instance->Stop(0).ok());
}

TEST(MetricsTest, ReadyzIs503WhileStopping) {
  RunningPlugin plugin(host::ConfigEntries{{"metrics_addr", "127.0.0.1:0"}});
  const std::string metrics = MetricsUrl(plugin.logs());
  const Response ready = Get(metrics, "/readyz");
  EXPECT_EQ(ready.result_int(), 200);
  EXPECT_EQ(ready.body(), R"({"status":"ready"})");
  // A client that never answers the close frame holds stop for its whole grace period.
  WsClient silent(plugin.url());
  plugin.AwaitStat("connections_open", 1);
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    EXPECT_TRUE(plugin.instance().Stop(20'000).ok());
    stopped.store(true);
  });
  Response during;
  for (const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
       std::chrono::steady_clock::now() < give_up && !stopped.load();) {
    during = Get(metrics, "/readyz");
    if (during.result_int() != 200) break;
  }
  EXPECT_FALSE(stopped.load()) << "stop returned before /readyz was seen during it";
  EXPECT_EQ(during.result_int(), 503);
  EXPECT_EQ(during.body(), R"({"status":"not ready"})");
  // The I/O thread ends its heartbeat when it takes up the stop, a moment after /readyz turned; /healthz
  // stays 200 throughout.
  Response health;
  for (const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       std::chrono::steady_clock::now() < give_up;) {
    health = Get(metrics, "/healthz");
    EXPECT_EQ(health.result_int(), 200) << health.body();
    if (health.body() != R"({"status":"ok"})") break;
  }
  EXPECT_EQ(health.body(), R"({"status":"stopping"})");
  // Closing the client's socket ends the grace period early.
  beast::error_code ignored;
  beast::get_lowest_layer(silent.stream()).socket().close(ignored);
  stopper.join();
  EXPECT_TRUE(stopped.load());
}

TEST(MetricsTest, ReadyzIs503WithoutAWebSocketServer) {
  LogCapture logs;
  auto library = host::PluginLibrary::Open(PluginPath());
  ASSERT_TRUE(library.ok());
  auto instance = host::PluginInstance::Create(*library, logs.Host(),
                                               {{"websocket_enabled", "false"}, {"metrics_addr", "127.0.0.1:0"}});
  ASSERT_TRUE(instance.ok()) << instance.status();
  ASSERT_TRUE(instance->Start().ok());
  const std::string metrics = MetricsUrl(logs);
  EXPECT_EQ(Get(metrics, "/readyz").result_int(), 503);
  EXPECT_EQ(Get(metrics, "/healthz").result_int(), 200);
  EXPECT_THAT(Get(metrics, "/metrics").body(), HasSubstr("\narmorclaw_eventbus_websocket_enabled 0\n"));
}

TEST(MetricsTest, UnknownPathsMethodsAndHead) {
  RunningPlugin plugin(host::ConfigEntries{{"metrics_addr", "127.0.0.1:0"}});
  const std::string metrics = MetricsUrl(plugin.logs());
  EXPECT_EQ(Get(metrics, "/").result_int(), 404);
  EXPECT_EQ(Get(metrics, "/metrics/extra").result_int(), 404);
  EXPECT_EQ(Get(metrics, "/events").result_int(), 404) << "the clients' path is not served here";
  const Response post = Request(metrics, http::verb::post, "/metrics");
  EXPECT_EQ(post.result_int(), 405);
  EXPECT_EQ(post[http::field::allow], "GET, HEAD");
  EXPECT_EQ(Request(metrics, http::verb::delete_, "/healthz").result_int(), 405);
  const Response head = Request(metrics, http::verb::head, "/metrics");
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(head.body().empty());
  uint64_t length = 0;
  ASSERT_TRUE(absl::SimpleAtoi(std::string(head[http::field::content_length]), &length));
  EXPECT_GT(length, 1000u);
  // A query string does not change the path.
  EXPECT_EQ(Get(metrics, "/healthz?verbose=1").result_int(), 200);
  // The clients' listener does not serve the operator paths.
  EXPECT_EQ(HttpGet(plugin.url(), "/metrics").result_int(), 404);
}

TEST(MetricsTest, ConfigurationErrors) {
  LogCapture logs;
  auto library = host::PluginLibrary::Open(PluginPath());
  ASSERT_TRUE(library.ok());
  auto same = host::PluginInstance::Create(*library, logs.Host(),
                                           {{"websocket_addr", "127.0.0.1:9464"}, {"metrics_addr", "127.0.0.1:9464"}});
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.status().message(),
            "metrics_addr and websocket_addr name the same port (9464): the operator listener never shares a port "
            "with clients");
  auto bad = host::PluginInstance::Create(*library, logs.Host(), {{"metrics_addr", "metrics:9464"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr(R"(invalid value "metrics:9464" for metrics_addr)"));
}

TEST(MetricsTest, TheDocumentedAlertRulesPassPromtool) {
  const std::string section = docs::Section(docs::ReadSource("docs/operations.md"), "### Alert rules");
  const size_t start = section.find("```yaml\n");
  ASSERT_NE(start, std::string::npos) << "no yaml block under ### Alert rules";
  const size_t end = section.find("```", start + 8);
  const std::string rules = section.substr(start + 8, end - start - 8);
  EXPECT_THAT(rules, HasSubstr("alert:"));
  const auto [status, output] = RunWithInput("promtool check rules /dev/stdin", rules);
  EXPECT_EQ(status, 0) << output;
  EXPECT_THAT(output, HasSubstr("SUCCESS: 3 rules found"));
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
