// eventbus-bench: the load generator and benchmark driver. It starts a fan-out server with `sh -c`, reads
// its "listening on ws://HOST:PORT/PATH" line, connects N raw WebSocket clients (one epoll loop, one
// thread), subscribes them, then feeds the server's standard input Matrix events, one JSON per line,
// open-loop at R events/s: event i is due at t0 + i/R and carries that scheduled CLOCK_MONOTONIC time, so
// latency includes any time the event waited anywhere, the generator's own lateness included. Every
// delivery is checked per client (loss, duplicates, order, filter) and timed into a histogram; nothing
// allocates per delivery. Server pinned to CPU 0, the bench to CPU 1. `--help` for the options.
// With --tls the clients speak wss:// through OpenSSL on their non-blocking sockets (no certificate check:
// the bench measures the server, it does not authenticate it).
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <fstream>
#include <functional>
#include <vector>

#include "bench/latency_histogram.h"
#include "openssl/err.h"
#include "openssl/ssl.h"
#include "bench/proc_files.h"
#include "bench/ws_frame.h"
#include "zlib.h"

namespace armorclaw::eventbus::bench {
namespace {

// ---------------------------------------------------------------------------------------------------------
// Small helpers

volatile sig_atomic_t g_interrupted = 0;
void OnInterrupt(int) { g_interrupted = 1; }

int64_t MonoNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

std::string Format(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  return buffer;
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += Format("\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

// Raises the soft descriptor limit to the hard one; returns the new soft limit.
rlim_t RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

// utime + stime of a process in ns, -1 if it is gone.
int64_t ProcessCpuNs(pid_t pid) {
  const std::string stat = ReadSmallFile(Format("/proc/%d/stat", pid));
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  // After "pid (comm)": state is field 3, utime 14, stime 15.
  const char* p = stat.c_str() + paren + 2;
  unsigned long long utime = 0, stime = 0;
  if (sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
  static const long ticks = sysconf(_SC_CLK_TCK);
  return static_cast<int64_t>((utime + stime) * (1'000'000'000ULL / static_cast<unsigned long long>(ticks)));
}

pid_t ParentPid(pid_t pid) {
  const std::string stat = ReadSmallFile(Format("/proc/%d/stat", pid));
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  int ppid = -1;
  sscanf(stat.c_str() + paren + 2, "%*c %d", &ppid);
  return ppid;
}

// `sh -c CMD` may run CMD as a child instead of exec'ing it (dash does). The process to measure is found by
// walking down from the shell while a shell has exactly one child.
pid_t FindServerProcess(pid_t root) {
  pid_t pid = root;
  for (int depth = 0; depth < 8; ++depth) {
    std::string comm = ReadSmallFile(Format("/proc/%d/comm", pid));
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (comm != "sh" && comm != "dash" && comm != "bash") break;
    std::vector<pid_t> children;
    if (DIR* dir = opendir("/proc")) {
      while (dirent* entry = readdir(dir)) {
        const pid_t candidate = static_cast<pid_t>(std::atoi(entry->d_name));
        if (candidate > 0 && ParentPid(candidate) == pid) children.push_back(candidate);
      }
      closedir(dir);
    }
    if (children.size() != 1) break;
    pid = children.front();
  }
  return pid;
}

// Busy and total jiffies of one CPU from /proc/stat.
struct CpuJiffies {
  uint64_t busy = 0;
  uint64_t total = 0;
};
CpuJiffies ReadCpuJiffies(int cpu) {
  const std::string stat = ReadSmallFile("/proc/stat");
  const std::string key = Format("\ncpu%d ", cpu);
  const size_t at = stat.find(key);
  CpuJiffies out;
  if (at == std::string::npos) return out;
  unsigned long long v[8] = {};
  sscanf(stat.c_str() + at + key.size(), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
         &v[5], &v[6], &v[7]);
  for (const unsigned long long x : v) out.total += x;
  out.busy = out.total - v[3] - v[4];  // Minus idle and iowait.
  return out;
}

double BusyPercent(const CpuJiffies& a, const CpuJiffies& b) {
  const uint64_t total = b.total - a.total;
  return total == 0 ? 0 : 100.0 * static_cast<double>(b.busy - a.busy) / static_cast<double>(total);
}

int64_t SelfCpuNs() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto ns = [](const timeval& t) { return int64_t{t.tv_sec} * 1'000'000'000 + int64_t{t.tv_usec} * 1000; };
  return ns(usage.ru_utime) + ns(usage.ru_stime);
}

// A byte FIFO for the server's standard input: appended at the tail, written from the head.
class ByteQueue {
 public:
  char* Reserve(size_t n) {
    if (tail_ + n > buffer_.size()) {
      if (head_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + head_, tail_ - head_);
        tail_ -= head_;
        head_ = 0;
      }
      if (tail_ + n > buffer_.size()) buffer_.resize(std::max(buffer_.size() * 2, tail_ + n));
    }
    return buffer_.data() + tail_;
  }
  void Commit(size_t n) { tail_ += n; }
  const char* data() const { return buffer_.data() + head_; }
  size_t size() const { return tail_ - head_; }
  void Consume(size_t n) {
    head_ += n;
    if (head_ == tail_) head_ = tail_ = 0;
  }

 private:
  std::vector<char> buffer_ = std::vector<char>(1 << 20);
  size_t head_ = 0;
  size_t tail_ = 0;
};

// ---------------------------------------------------------------------------------------------------------
// Options

struct Options {
  std::string server_cmd;
  int clients = 100;
  double rate = 1000;
  double seconds = 5;
  int rooms = 1;
  bool filter_room = false;
  int payload = 512;
  int stalled = 0;
  bool idle = false;
  bool json = false;
  bool require_exact = false;
  double drain_seconds = 10;
  double start_timeout = 30;
  double connect_timeout = 120;
  int max_pending_connects = 128;
  int server_cpu = 0;
  int bench_cpu = 1;
  std::string label;
  bool compression = false;
  std::string corpus;
  bool tls = false;
  bool overload = false;
};

constexpr const char* kUsage = R"(Usage: eventbus-bench --server-cmd "CMD" [OPTIONS]

Starts CMD with sh -c, waits for its stdout line "... listening on ws://HOST:PORT/PATH", connects and
subscribes N WebSocket clients, writes Matrix events (one JSON per line) into CMD's standard input open-loop
at R events/s, checks every delivery and reports latency, loss and the server's CPU and memory.

  --server-cmd CMD        the server to measure (required)
  --clients N             WebSocket clients (default 100)
  --rate R                events per second (default 1000)
  --seconds S             length of the event stream, or of the idle hold with --idle (default 5)
  --rooms K               events go to rooms !room0:bench .. !room<K-1>:bench round-robin (default 1)
  --filter all|room       all: every client subscribes with {} ; room: client c subscribes to room c mod K
                          (default all)
  --payload BYTES         length of each event line (default 512)
  --stalled K             K of the N clients subscribe, then never read again once the events start:
                          client i stalls when i*K mod N < K (every N/K-th client from client 0 when K
                          divides N). They are left out of the delivery checks; the report says how many
                          of them the server closed (its side of the connection no longer ESTABLISHED in
                          /proc/net/tcp), and the run waits up to --drain-seconds for the server to close
                          them all (default 0)
  --idle                  hold N subscribed connections without events for S seconds; report the server's
                          memory per connection and its CPU use while idle
  --json                  print one JSON object on stdout instead of a summary
  --require-exact         exit 1 if anything was lost, duplicated, reordered or misdelivered, or if the
                          server left a --stalled client open
  --drain-seconds D       after the last event, wait at most D s for outstanding deliveries (default 10)
  --start-timeout T       seconds to wait for the listening line (default 30)
  --connect-timeout T     seconds to connect and subscribe all clients (default 120)
  --server-cpu C          CPU the server is pinned to (default 0)
  --bench-cpu C           CPU the bench is pinned to (default 1)
  --label NAME            copied into the JSON report
  --compression           every client offers permessage-deflate (RFC 7692) and inflates compressed frames
                          (one inflater for all, reset per message: the server takes no context over); a
                          server that declines it fails the setup. A compressed frame is inflated once and
                          its message kept for the next receivers of the same bytes (a table of 4096 by a
                          hash of the frame's first bytes, checked against all of them), so that 1000
                          receivers of an event do not cost the bench 1000 inflates
  --corpus FILE           each event carries the next line of FILE (JSON values, e.g. the Matrix spec's
                          events in tests/data/matrix-spec-room-events.jsonl) as content.spec, instead of
                          --payload bytes of padding
  --tls                   connect with TLS (the server's line must say wss://); the certificate is not checked
  --overload              the rate may exceed what the server can take: the publisher behaves like the
                          bridge's relay (a ring of 100 that drops when full): the server's stdin pipe is
                          64 KiB and an event due while the previous one is not fully written is dropped
                          ("shed_at_publisher"; not expected by any client). Clients the server cuts
                          (max_queue_bytes, max_total_queue_bytes) are part of the result: each client also
                          keeps its own latency histogram, and the report adds the clients the server kept
                          open to the end ("kept"): how many, what they lost, their latency
  -h, --help              this help

Exit status: 0 when the run completed (loss is a measured figure, not a failure), 1 with --require-exact
when a delivery was lost, duplicated, reordered or misdelivered or a stalled client was left open, 2 on a
bad command line or a setup failure
(server did not start, a client could not connect or subscribe, the server died).
)";

bool ParseOptions(int argc, char** argv, Options& o, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        error = Format("%s needs a value", argv[i]);
        return nullptr;
      }
      return argv[++i];
    };
    const auto number = [&](double& out, double min) {
      const char* v = value();
      if (v == nullptr) return false;
      char* end = nullptr;
      out = std::strtod(v, &end);
      if (end == v || *end != '\0' || !std::isfinite(out) || out < min) {
        error = Format("%s: bad value \"%s\"", std::string(arg).c_str(), v);
        return false;
      }
      return true;
    };
    const auto integer = [&](int& out, int min) {
      double d = 0;
      if (!number(d, min)) return false;
      if (d != std::floor(d) || d > 1e9) {
        error = Format("%s: expected an integer", std::string(arg).c_str());
        return false;
      }
      out = static_cast<int>(d);
      return true;
    };
    bool ok = true;
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--server-cmd") {
      const char* v = value();
      ok = v != nullptr;
      if (ok) o.server_cmd = v;
    } else if (arg == "--clients") {
      ok = integer(o.clients, 1);
    } else if (arg == "--rate") {
      ok = number(o.rate, 0.001);
    } else if (arg == "--seconds") {
      ok = number(o.seconds, 0.001);
    } else if (arg == "--rooms") {
      ok = integer(o.rooms, 1);
    } else if (arg == "--filter") {
      const char* v = value();
      ok = v != nullptr;
      if (ok && std::string_view(v) == "room") {
        o.filter_room = true;
      } else if (ok && std::string_view(v) == "all") {
        o.filter_room = false;
      } else if (ok) {
        error = Format("--filter: expected all or room, got \"%s\"", v);
        ok = false;
      }
    } else if (arg == "--payload") {
      ok = integer(o.payload, 0);
    } else if (arg == "--stalled") {
      ok = integer(o.stalled, 0);
    } else if (arg == "--idle") {
      o.idle = true;
    } else if (arg == "--json") {
      o.json = true;
    } else if (arg == "--require-exact") {
      o.require_exact = true;
    } else if (arg == "--drain-seconds") {
      ok = number(o.drain_seconds, 0);
    } else if (arg == "--start-timeout") {
      ok = number(o.start_timeout, 0.1);
    } else if (arg == "--connect-timeout") {
      ok = number(o.connect_timeout, 0.1);
    } else if (arg == "--server-cpu") {
      ok = integer(o.server_cpu, 0);
    } else if (arg == "--bench-cpu") {
      ok = integer(o.bench_cpu, 0);
    } else if (arg == "--compression") {
      o.compression = true;
    } else if (arg == "--corpus") {
      const char* v = value();
      ok = v != nullptr;
      if (ok) o.corpus = v;
    } else if (arg == "--tls") {
      o.tls = true;
    } else if (arg == "--overload") {
      o.overload = true;
    } else if (arg == "--label") {
      const char* v = value();
      ok = v != nullptr;
      if (ok) o.label = v;
    } else {
      error = Format("unknown option \"%s\" (--help lists them)", argv[i]);
      ok = false;
    }
    if (!ok) return false;
  }
  if (o.server_cmd.empty()) {
    error = "--server-cmd is required";
    return false;
  }
  if (o.stalled > o.clients) {
    error = "--stalled: at most --clients";
    return false;
  }
  if (o.stalled > 0 && o.idle) {
    error = "--stalled needs an event stream; it cannot be used with --idle";
    return false;
  }
  if (o.payload > 1'000'000) {
    error = "--payload: at most 1000000 bytes";
    return false;
  }
  if (o.rate * o.seconds > 2e9) {
    error = "--rate x --seconds: at most 2e9 events";
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// The bench

// Sec-WebSocket-Key of RFC 6455 section 1.3 and the accept value it implies.
constexpr std::string_view kWebSocketKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kWebSocketAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

constexpr uint64_t kStdinTag = ~uint64_t{0};
constexpr uint64_t kStdoutTag = ~uint64_t{0} - 1;
constexpr size_t kReadChunk = 256 * 1024;
constexpr int kMaxReadsPerWakeup = 8;

enum class ClientState { kNotStarted, kConnecting, kTlsHandshaking, kHandshaking, kSubscribing, kReady, kClosed };

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

struct Client {
  int fd = -1;
  std::unique_ptr<SSL, SslFree> ssl;  // --tls.
  ClientState state = ClientState::kNotStarted;
  uint32_t room = 0;
  bool stalled = false;  // --stalled: read until subscribed, never after; expects nothing.
  // Bytes of an incomplete frame (or HTTP response) carried over to the next read; allocated on first use.
  std::unique_ptr<char[]> carry;
  uint32_t carry_bytes = 0;
  // A fragmented message being reassembled; allocated on first use (never, with the servers measured here).
  std::unique_ptr<char[]> fragments;
  uint32_t fragment_bytes = 0;
  bool in_fragmented_message = false;
  size_t field_hint = 0;
  // Deliveries.
  uint64_t* seen = nullptr;  // One bit per event this client should get.
  uint64_t expected = 0;
  uint64_t received = 0;  // Distinct expected events received.
  int64_t highest_index = -1;
  std::unique_ptr<LatencyHistogram> latency;  // --overload: this client's own.
};

struct Counters {
  uint64_t delivered = 0;
  uint64_t wire_bytes = 0;  // Of the data frames of subscribed clients, headers included, as received.
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t misdelivered = 0;  // An event this client's filter excludes, or an index never sent.
  uint64_t unexpected_messages = 0;
  uint64_t clients_closed = 0;
};

class Bench {
 public:
  explicit Bench(Options options) : o_(std::move(options)) {}
  ~Bench() {
    StopServer();
    if (inflater_ready_) inflateEnd(&inflater_);
  }

  int Run();

 private:
  [[nodiscard]] bool Fail(std::string message) {
    if (setup_error_.empty()) setup_error_ = std::move(message);
    return false;
  }

  // What the clients should have received and did not; events shed at the publisher (--overload) are not
  // expected by anyone.
  uint64_t ShedFor(const Client& c) const;
  uint64_t Lost() const;

  // Server process.
  bool StartServer();
  bool ServerAlive();
  void StopServer();
  void SampleServerRss();
  void DrainServerStdout();
  uint32_t StalledStillOpen() const;

  // Clients.
  bool ConnectAll();
  bool StartConnect(Client& c);
  void HandleClient(uint32_t index, uint32_t events);
  void OnConnected(Client& c);
  void ContinueTlsHandshake(Client& c);
  void SendUpgradeRequest(Client& c);
  // read(2) and write(2) on the client's socket, or through its TLS session: the same results (-1 with
  // errno EAGAIN when nothing can be done now, 0 at the end of the stream).
  ssize_t ReadSome(Client& c, char* data, size_t n);
  ssize_t WriteSome(Client& c, const char* data, size_t n);
  void OnReadable(Client& c);
  size_t ParseHandshake(Client& c, const char* data, size_t n);
  size_t ParseFrames(Client& c, const char* data, size_t n, int64_t now);
  void OnFrame(Client& c, const FrameHeader& h, const char* payload, int64_t now);
  // A compressed message's payload inflated: the message, or nullopt when it is invalid. A payload seen
  // lately is not inflated again: the same bytes inflate to the same message.
  std::optional<std::string_view> Inflate(const char* payload, size_t n);
  void OnMessage(Client& c, const char* message, size_t n, int64_t now);
  void OnEvent(Client& c, uint64_t index, uint64_t time_ns, int64_t now);
  bool SendFrame(Client& c, uint8_t op, std::string_view payload);
  void CloseClient(Client& c, const char* why);
  int PollOnce(int64_t timeout_ns);

  // Events.
  void ProduceDue(int64_t now);
  bool FlushStdin();
  int64_t DueNs(uint64_t index) const {
    return t0_ + static_cast<int64_t>(static_cast<double>(index) * 1e9 / o_.rate);
  }

  int RunLoad();
  int RunIdle();
  void ReportLoad();
  void ReportIdle();
  void ReportSetupFailure();

  Options o_;
  std::string setup_error_;
  std::vector<std::string> warnings_;
  bool pinned_ = false;
  bool running_ = false;  // Setup is over: a client that closes now is a measured failure, not a setup one.

  // Server.
  pid_t shell_pid_ = -1;  // The sh -c process; also the process group of everything it starts.
  pid_t server_pid_ = -1;  // The process measured.
  int server_stdin_ = -1;
  int server_stdout_ = -1;
  bool server_exited_ = false;
  int server_status_ = 0;
  std::string server_host_;
  std::string server_host_header_;
  uint16_t server_port_ = 0;
  std::string server_path_;
  sockaddr_in server_address_{};
  int64_t server_rss_peak_kb_ = 0;
  int64_t last_rss_sample_ns_ = 0;

  // Clients.
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> tls_{nullptr, SSL_CTX_free};
  int epoll_ = -1;
  std::vector<Client> clients_;
  std::unique_ptr<uint64_t, void (*)(void*)> bitmaps_{nullptr, std::free};
  size_t carry_capacity_ = 0;
  std::unique_ptr<char[]> read_buffer_;
  uint32_t pending_setup_ = 0;  // Clients started and not yet subscribed.
  uint32_t ready_ = 0;
  uint32_t mask_state_ = 0x9E3779B9;
  int reported_problems_ = 0;
  std::string first_problem_;

  // Events.
  uint64_t total_events_ = 0;
  uint64_t produced_ = 0;
  int64_t t0_ = 0;
  ByteQueue stdin_queue_;
  bool stdin_waiting_ = false;  // EPOLLOUT armed on the server's stdin.
  int64_t generator_lag_max_ns_ = 0;
  size_t stdin_backlog_max_ = 0;
  uint64_t incomplete_clients_ = 0;
  uint32_t stalled_open_ = 0;  // Stalled clients whose connection the server had not closed when last looked.
  uint64_t expected_total_ = 0;
  int64_t last_delivery_ns_ = 0;
  LatencyHistogram histogram_;
  Counters counters_;

  // Measurements.
  int64_t setup_ns_ = 0;
  int64_t send_end_ns_ = 0;
  int64_t end_ns_ = 0;
  int64_t server_cpu_ns_ = 0;
  int64_t bench_cpu_send_ns_ = 0;
  int64_t bench_cpu_total_ns_ = 0;
  double bench_cpu_max_1s_pct_ = 0;  // The busiest second of the bench over the measured interval.
  double cpu_busy_pct_[2] = {0, 0};
  int64_t rss_before_kb_ = 0;
  int64_t rss_after_kb_ = 0;
  uint64_t events_unsent_ = 0;
  // --overload: events dropped because the server's standard input had not taken the previous one, in all
  // and by room (the clients of a room filter expect only their room's).
  uint64_t shed_events_ = 0;
  std::vector<uint64_t> shed_by_room_;

  // --corpus lines, used round-robin; --compression's inflater and where it inflates to.
  std::vector<std::string> corpus_;
  z_stream inflater_{};
  bool inflater_ready_ = false;
  std::unique_ptr<char[]> inflated_;
  // Compressed payloads inflated lately and their messages, by a hash of the payload's first bytes and its
  // length; a payload found is compared whole before its message is used.
  static constexpr size_t kInflatedKept = 4096;
  struct InflatedPayload {
    std::string compressed;
    std::string message;
  };
  std::vector<InflatedPayload> inflated_kept_ = std::vector<InflatedPayload>(kInflatedKept);
};

// ---- server process

bool Bench::StartServer() {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return Fail(Format("pipe: %s", strerror(errno)));
  const pid_t pid = fork();
  if (pid < 0) return Fail(Format("fork: %s", strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    if (!PinToCpu(o_.server_cpu)) std::fprintf(stderr, "eventbus-bench: cannot pin the server to CPU %d\n", o_.server_cpu);
    RaiseDescriptorLimit();
    signal(SIGPIPE, SIG_DFL);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    close_range(3, ~0U, 0);
    execl("/bin/sh", "sh", "-c", o_.server_cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);  // Also in the parent, so that the group exists whichever runs first.
  shell_pid_ = pid;
  server_pid_ = pid;
  close(in[0]);
  close(out[1]);
  server_stdin_ = in[1];
  server_stdout_ = out[0];
  // Best effort; a smaller pipe only means more write calls. With --overload, the smallest pipe the kernel
  // allows (64 KiB, about a hundred events): the publisher holds about as little as the bridge's relay.
  fcntl(server_stdin_, F_SETPIPE_SZ, o_.overload ? 1 << 16 : 1 << 20);
  fcntl(server_stdin_, F_SETFL, O_NONBLOCK);

  // The listening line.
  std::string line;
  const int64_t deadline = MonoNs() + static_cast<int64_t>(o_.start_timeout * 1e9);
  for (;;) {
    const size_t newline = line.find('\n');
    if (newline != std::string::npos) {
      const std::string first = line.substr(0, newline);
      line.erase(0, newline + 1);
      const std::string_view scheme = o_.tls ? "listening on wss://" : "listening on ws://";
      const size_t at = first.find(scheme);
      if (at == std::string::npos) {
        std::fprintf(stderr, "%s\n", first.c_str());
        continue;
      }
      std::string url = first.substr(at + scheme.size());
      while (!url.empty() && (url.back() == '\r' || url.back() == ' ')) url.pop_back();
      const size_t slash = url.find('/');
      server_path_ = slash == std::string::npos ? "/" : url.substr(slash);
      const std::string authority = url.substr(0, slash);
      const size_t colon = authority.rfind(':');
      if (colon == std::string::npos) return Fail("listening line without a port: " + first);
      server_host_ = authority.substr(0, colon);
      server_host_header_ = authority;
      server_port_ = static_cast<uint16_t>(std::atoi(authority.c_str() + colon + 1));
      std::string connect_host = server_host_;
      if (connect_host == "0.0.0.0" || connect_host == "localhost") connect_host = "127.0.0.1";
      server_address_.sin_family = AF_INET;
      server_address_.sin_port = htons(server_port_);
      if (server_port_ == 0 || inet_pton(AF_INET, connect_host.c_str(), &server_address_.sin_addr) != 1) {
        return Fail("cannot use the address in the listening line (IPv4 only): " + first);
      }
      break;
    }
    const int64_t left = deadline - MonoNs();
    if (left <= 0 || g_interrupted) {
      return Fail(Format("no \"listening on %s://\" line from the server within %.0f s", o_.tls ? "wss" : "ws",
                         o_.start_timeout));
    }
    pollfd p{server_stdout_, POLLIN, 0};
    poll(&p, 1, static_cast<int>(std::min<int64_t>(left / 1'000'000 + 1, 100)));
    if (p.revents == 0) continue;
    char buffer[4096];
    const ssize_t n = read(server_stdout_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ServerAlive();
      return Fail(server_exited_ ? Format("the server exited (status %d) before listening", server_status_)
                                 : std::string("the server closed its standard output before listening"));
    }
    line.append(buffer, static_cast<size_t>(n));
  }
  if (!line.empty()) std::fwrite(line.data(), 1, line.size(), stderr);
  fcntl(server_stdout_, F_SETFL, O_NONBLOCK);
  server_pid_ = FindServerProcess(shell_pid_);
  return true;
}

bool Bench::ServerAlive() {
  if (server_exited_ || shell_pid_ <= 0) return false;
  int status = 0;
  if (waitpid(shell_pid_, &status, WNOHANG) == shell_pid_) {
    server_exited_ = true;
    server_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

void Bench::StopServer() {
  if (shell_pid_ <= 0) return;
  if (!server_exited_) {
    // The measured process: when sh runs it as a child, sh exits once it does.
    kill(server_pid_ > 0 ? server_pid_ : shell_pid_, SIGTERM);
    const int64_t deadline = MonoNs() + 20'000'000'000;
    while (ServerAlive() && MonoNs() < deadline) {
      DrainServerStdout();
      usleep(5000);
    }
    if (!server_exited_) {
      std::fprintf(stderr, "eventbus-bench: the server ignored SIGTERM for 20 s; killing it\n");
      kill(-shell_pid_, SIGKILL);
      waitpid(shell_pid_, nullptr, 0);
      server_exited_ = true;
    }
  }
  kill(-shell_pid_, SIGKILL);  // Anything of its process group left behind.
  if (server_stdin_ >= 0) close(server_stdin_);
  if (server_stdout_ >= 0) close(server_stdout_);
  server_stdin_ = server_stdout_ = -1;
  shell_pid_ = -1;
}

void Bench::SampleServerRss() {
  const int64_t rss = StatusKb(server_pid_, "VmRSS");
  server_rss_peak_kb_ = std::max(server_rss_peak_kb_, rss);
}

void Bench::DrainServerStdout() {
  if (server_stdout_ < 0) return;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(server_stdout_, buffer, sizeof buffer);
    if (n > 0) {
      std::fwrite(buffer, 1, static_cast<size_t>(n), stderr);
      continue;
    }
    if (n == 0) {
      if (epoll_ >= 0) epoll_ctl(epoll_, EPOLL_CTL_DEL, server_stdout_, nullptr);
      close(server_stdout_);
      server_stdout_ = -1;
    }
    return;
  }
}

// The bench never reads a stalled socket, so it cannot see the server close it: the FIN waits behind the
// bytes the server could not send. The kernel's socket table shows it: the server's end of each stalled
// connection (local port = the server's, remote port = the client's) leaves ESTABLISHED, or is gone.
uint32_t Bench::StalledStillOpen() const {
  std::vector<bool> stalled_port(65536);
  for (const Client& c : clients_) {
    sockaddr_in local{};
    socklen_t length = sizeof local;
    if (c.stalled && c.fd >= 0 && getsockname(c.fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
      stalled_port[ntohs(local.sin_port)] = true;
    }
  }
  // Lines of "sl: LOCALADDR:PORT REMADDR:PORT STATE ...", in hex; the first line is a header.
  const std::string table = ReadSmallFile("/proc/net/tcp");
  uint32_t open = 0;
  for (size_t at = table.find('\n'); at != std::string::npos; at = table.find('\n', at + 1)) {
    unsigned local_port = 0, remote_port = 0, state = 0;
    if (sscanf(table.c_str() + at + 1, " %*u: %*x:%x %*x:%x %x", &local_port, &remote_port, &state) == 3 &&
        local_port == server_port_ && remote_port < stalled_port.size() && stalled_port[remote_port] &&
        state == TCP_ESTABLISHED) {
      ++open;
    }
  }
  return open;
}

// ---- clients

bool Bench::StartConnect(Client& c) {
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return Fail(Format("socket: %s", strerror(errno)));
  const int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c.fd, reinterpret_cast<const sockaddr*>(&server_address_), sizeof server_address_) != 0 &&
      errno != EINPROGRESS) {
    return Fail(Format("connect to %s: %s", server_host_header_.c_str(), strerror(errno)));
  }
  epoll_event e{};
  e.events = EPOLLOUT;
  e.data.u64 = static_cast<uint64_t>(&c - clients_.data());
  epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &e);
  c.state = ClientState::kConnecting;
  ++pending_setup_;
  return true;
}

void Bench::OnConnected(Client& c) {
  int error = 0;
  socklen_t length = sizeof error;
  getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    (void)Fail(Format("connect to %s: %s", server_host_header_.c_str(), strerror(error)));
    CloseClient(c, nullptr);
    return;
  }
  if (!o_.tls) return SendUpgradeRequest(c);
  c.ssl.reset(SSL_new(tls_.get()));
  SSL_set_fd(c.ssl.get(), c.fd);
  SSL_set_connect_state(c.ssl.get());
  c.state = ClientState::kTlsHandshaking;
  ContinueTlsHandshake(c);
}

void Bench::ContinueTlsHandshake(Client& c) {
  const int result = SSL_do_handshake(c.ssl.get());
  if (result == 1) return SendUpgradeRequest(c);
  const int error = SSL_get_error(c.ssl.get(), result);
  if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
    char reason[256];
    ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
    (void)Fail(Format("TLS handshake with %s: %s", server_host_header_.c_str(), reason));
    CloseClient(c, nullptr);
    return;
  }
  epoll_event e{};
  e.events = error == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
  e.data.u64 = static_cast<uint64_t>(&c - clients_.data());
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &e);
}

void Bench::SendUpgradeRequest(Client& c) {
  const std::string request = Format(
      "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %.*s\r\n"
      "Sec-WebSocket-Version: 13\r\n%s\r\n",
      server_path_.c_str(), server_host_header_.c_str(), static_cast<int>(kWebSocketKey.size()), kWebSocketKey.data(),
      o_.compression ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "");
  if (WriteSome(c, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    (void)Fail(Format("writing the WebSocket handshake: %s", strerror(errno)));
    CloseClient(c, nullptr);
    return;
  }
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u64 = static_cast<uint64_t>(&c - clients_.data());
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &e);
  c.state = ClientState::kHandshaking;
}

bool Bench::SendFrame(Client& c, uint8_t op, std::string_view payload) {
  char frame[512];
  if (payload.size() + kMaxClientHeaderBytes > sizeof frame) return false;
  mask_state_ ^= mask_state_ << 13;
  mask_state_ ^= mask_state_ >> 17;
  mask_state_ ^= mask_state_ << 5;
  const size_t n = EncodeClientFrame(op, payload, mask_state_, frame);
  // Client frames are tiny and rare, and the client's send buffer is empty: a short write means trouble.
  size_t done = 0;
  const int64_t deadline = MonoNs() + 1'000'000'000;
  while (done < n) {
    const ssize_t w = WriteSome(c, frame + done, n - done);
    if (w > 0) {
      done += static_cast<size_t>(w);
    } else if (w < 0 && errno == EAGAIN && MonoNs() < deadline) {
      pollfd p{c.fd, POLLOUT, 0};
      poll(&p, 1, 10);
    } else {
      return false;
    }
  }
  return true;
}

void Bench::CloseClient(Client& c, const char* why) {
  if (c.fd < 0) return;
  if (why != nullptr && first_problem_.empty()) first_problem_ = why;
  if (why != nullptr && reported_problems_++ < 5) {
    std::fprintf(stderr, "eventbus-bench: client %zu: %s\n", static_cast<size_t>(&c - clients_.data()), why);
  }
  epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  c.fd = -1;
  c.ssl.reset();
  if (c.state != ClientState::kReady) --pending_setup_;
  if (!running_) {
    (void)Fail(Format("client %zu: %s during setup", static_cast<size_t>(&c - clients_.data()),
                      why != nullptr ? why : "failed"));
  } else if (c.state == ClientState::kReady) {
    ++counters_.clients_closed;
    if (c.received < c.expected) --incomplete_clients_;
  }
  c.state = ClientState::kClosed;
}

ssize_t Bench::ReadSome(Client& c, char* data, size_t n) {
  if (!c.ssl) return read(c.fd, data, n);
  // A record at a time: gathered until the socket has nothing more, so that a short read still means
  // "drained" to the caller.
  size_t got = 0;
  while (got < n) {
    const int r = SSL_read(c.ssl.get(), data + got, static_cast<int>(std::min<size_t>(n - got, INT32_MAX)));
    if (r > 0) {
      got += static_cast<size_t>(r);
      continue;
    }
    const int error = SSL_get_error(c.ssl.get(), r);
    if (got > 0) break;
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      errno = EAGAIN;
      return -1;
    }
    if (error == SSL_ERROR_ZERO_RETURN) return 0;
    errno = error == SSL_ERROR_SYSCALL && errno != 0 ? errno : EPROTO;
    return error == SSL_ERROR_SYSCALL && errno == 0 ? 0 : -1;
  }
  return static_cast<ssize_t>(got);
}

ssize_t Bench::WriteSome(Client& c, const char* data, size_t n) {
  if (!c.ssl) return write(c.fd, data, n);
  const int w = SSL_write(c.ssl.get(), data, static_cast<int>(n));
  if (w > 0) return w;
  const int error = SSL_get_error(c.ssl.get(), w);
  errno = error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ? EAGAIN : EPROTO;
  return -1;
}

void Bench::HandleClient(uint32_t index, uint32_t events) {
  Client& c = clients_[index];
  if (c.fd < 0) return;
  if (c.state == ClientState::kConnecting) {
    OnConnected(c);
    return;
  }
  if (c.state == ClientState::kTlsHandshaking) {
    ContinueTlsHandshake(c);
    return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) OnReadable(c);
}

void Bench::OnReadable(Client& c) {
  char* buffer = read_buffer_.get();
  for (int reads = 0; reads < kMaxReadsPerWakeup && c.fd >= 0; ++reads) {
    const size_t carried = c.carry_bytes;
    if (carried > 0) std::memcpy(buffer, c.carry.get(), carried);
    const ssize_t n = ReadSome(c, buffer + carried, kReadChunk);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      CloseClient(c, n == 0 ? "the server closed the connection" : strerror(errno));
      return;
    }
    const int64_t now = MonoNs();
    const size_t length = carried + static_cast<size_t>(n);
    size_t used = 0;
    if (c.state == ClientState::kHandshaking) {
      used = ParseHandshake(c, buffer, length);
      if (c.fd < 0) return;
    }
    if (c.state != ClientState::kHandshaking) used += ParseFrames(c, buffer + used, length - used, now);
    if (c.fd < 0) return;
    const size_t left = length - used;
    if (left > carry_capacity_) {
      CloseClient(c, "a frame larger than the bench's buffer (raise --payload?)");
      return;
    }
    if (left > 0) {
      if (!c.carry) c.carry.reset(new char[carry_capacity_]);
      std::memmove(c.carry.get(), buffer + used, left);
    }
    c.carry_bytes = static_cast<uint32_t>(left);
    if (static_cast<size_t>(n) < kReadChunk) return;
  }
}

size_t Bench::ParseHandshake(Client& c, const char* data, size_t n) {
  const char* end = static_cast<const char*>(memmem(data, n, "\r\n\r\n", 4));
  if (end == nullptr) return 0;
  const std::string_view response(data, static_cast<size_t>(end - data) + 4);
  if (response.substr(0, 12) != "HTTP/1.1 101") {
    const std::string status(response.substr(0, response.find('\r')));
    CloseClient(c, Format("WebSocket upgrade refused: %s", status.c_str()).c_str());
    return 0;
  }
  if (response.find(kWebSocketAccept) == std::string_view::npos) {
    CloseClient(c, "WebSocket upgrade without the right Sec-WebSocket-Accept");
    return 0;
  }
  if (o_.compression && response.find("Sec-WebSocket-Extensions: permessage-deflate") == std::string_view::npos) {
    CloseClient(c, "the server declined permessage-deflate (--compression)");
    return 0;
  }
  const std::string subscribe =
      o_.filter_room ? Format(R"({"type":"subscribe","data":{"filter":{"room_id":"!room%u:bench"}}})", c.room)
                     : std::string(R"({"type":"subscribe","data":{"filter":{}}})");
  if (!SendFrame(c, opcode::kText, subscribe)) {
    CloseClient(c, "cannot send the subscribe message");
    return 0;
  }
  c.state = ClientState::kSubscribing;
  return response.size();
}

size_t Bench::ParseFrames(Client& c, const char* data, size_t n, int64_t now) {
  size_t off = 0;
  while (c.fd >= 0) {
    FrameHeader h;
    const char* error = nullptr;
    const HeaderStatus status = ParseServerFrameHeader(data + off, n - off, &h, &error, o_.compression);
    if (status == HeaderStatus::kNeedMore) break;
    if (status == HeaderStatus::kInvalid) {
      CloseClient(c, error);
      break;
    }
    const uint64_t frame_bytes = h.header_bytes + h.payload_bytes;
    if (frame_bytes > carry_capacity_) {
      CloseClient(c, "a frame larger than the bench's buffer (raise --payload?)");
      break;
    }
    if (n - off < frame_bytes) break;
    if (c.state == ClientState::kReady && h.opcode < 0x8) counters_.wire_bytes += frame_bytes;
    OnFrame(c, h, data + off + h.header_bytes, now);
    off += frame_bytes;
  }
  return off;
}

void Bench::OnFrame(Client& c, const FrameHeader& h, const char* payload, int64_t now) {
  const size_t n = h.payload_bytes;
  switch (h.opcode) {
    case opcode::kText:
    case opcode::kBinary:
      if (c.in_fragmented_message) {
        CloseClient(c, "a new message inside a fragmented one");
      } else if (h.compressed) {
        if (!h.fin) {
          CloseClient(c, "a fragmented compressed message (the bench inflates whole frames only)");
        } else if (const std::optional<std::string_view> message = Inflate(payload, n)) {
          OnMessage(c, message->data(), message->size(), now);
        } else {
          CloseClient(c, "a compressed frame that does not inflate");
        }
      } else if (h.fin) {
        OnMessage(c, payload, n, now);
      } else {
        if (!c.fragments) c.fragments.reset(new char[carry_capacity_]);
        std::memcpy(c.fragments.get(), payload, n);
        c.fragment_bytes = static_cast<uint32_t>(n);
        c.in_fragmented_message = true;
      }
      return;
    case opcode::kContinuation:
      if (!c.in_fragmented_message) {
        CloseClient(c, "a continuation frame outside a message");
      } else if (c.fragment_bytes + n > carry_capacity_) {
        CloseClient(c, "a fragmented message larger than the bench's buffer");
      } else {
        std::memcpy(c.fragments.get() + c.fragment_bytes, payload, n);
        c.fragment_bytes += static_cast<uint32_t>(n);
        if (h.fin) {
          c.in_fragmented_message = false;
          OnMessage(c, c.fragments.get(), c.fragment_bytes, now);
        }
      }
      return;
    case opcode::kPing:
      if (!SendFrame(c, opcode::kPong, std::string_view(payload, n))) CloseClient(c, "cannot answer a ping");
      return;
    case opcode::kPong:
      return;
    case opcode::kClose: {
      const int code = n >= 2 ? (static_cast<uint8_t>(payload[0]) << 8 | static_cast<uint8_t>(payload[1])) : 1005;
      CloseClient(c, Format("the server closed the WebSocket with code %d%s%.*s", code, n > 2 ? ": " : "",
                            static_cast<int>(n > 2 ? n - 2 : 0), payload + 2)
                         .c_str());
      return;
    }
    default:
      CloseClient(c, "unknown opcode");
  }
}

std::optional<std::string_view> Bench::Inflate(const char* payload, size_t n) {
  const std::string_view compressed(payload, n);
  InflatedPayload& kept =
      inflated_kept_[(std::hash<std::string_view>()(compressed.substr(0, 32)) ^ n) % kInflatedKept];
  if (n > 0 && kept.compressed == compressed) return kept.message;
  if (!inflater_ready_) {
    if (inflateInit2(&inflater_, -15) != Z_OK) return std::nullopt;
    inflater_ready_ = true;
    inflated_.reset(new char[carry_capacity_]);
  } else {
    inflateReset(&inflater_);
  }
  static const unsigned char kTail[4] = {0x00, 0x00, 0xff, 0xff};  // RFC 7692 section 7.2.2.
  inflater_.next_out = reinterpret_cast<Bytef*>(inflated_.get());
  inflater_.avail_out = static_cast<uInt>(carry_capacity_);
  for (const auto& [data, size] : {std::pair<const void*, size_t>{payload, n}, {kTail, sizeof kTail}}) {
    inflater_.next_in = static_cast<Bytef*>(const_cast<void*>(data));
    inflater_.avail_in = static_cast<uInt>(size);
    const int result = inflate(&inflater_, Z_SYNC_FLUSH);
    if ((result != Z_OK && result != Z_BUF_ERROR) || inflater_.avail_in != 0) return std::nullopt;
  }
  kept.compressed.assign(compressed);
  kept.message.assign(inflated_.get(), carry_capacity_ - inflater_.avail_out);
  return kept.message;
}

void Bench::OnMessage(Client& c, const char* message, size_t n, int64_t now) {
  if (c.state == ClientState::kReady) {
    uint64_t index = 0, time_ns = 0;
    if (FindBenchFields(message, n, &c.field_hint, &index, &time_ns)) {
      OnEvent(c, index, time_ns, now);
      return;
    }
    ++counters_.unexpected_messages;
    if (first_problem_.empty()) first_problem_ = "unexpected message: " + std::string(message, std::min<size_t>(n, 200));
    if (reported_problems_++ < 5) {
      std::fprintf(stderr, "eventbus-bench: client %zu: unexpected message: %.*s\n",
                   static_cast<size_t>(&c - clients_.data()), static_cast<int>(std::min<size_t>(n, 300)), message);
    }
    return;
  }
  if (c.state == ClientState::kSubscribing) {
    const std::string_view text(message, n);
    if (text.find(R"("subscribed")") != std::string_view::npos) {
      c.state = ClientState::kReady;
      --pending_setup_;
      ++ready_;
      return;
    }
    CloseClient(c, Format("subscribe answered with %.*s", static_cast<int>(std::min<size_t>(n, 300)), message).c_str());
  }
}

void Bench::OnEvent(Client& c, uint64_t index, uint64_t time_ns, int64_t now) {
  if (index >= total_events_ || (o_.filter_room && index % static_cast<uint64_t>(o_.rooms) != c.room)) {
    ++counters_.misdelivered;
    return;
  }
  const uint64_t bit = o_.filter_room ? index / static_cast<uint64_t>(o_.rooms) : index;
  uint64_t& word = c.seen[bit / 64];
  const uint64_t mask = uint64_t{1} << (bit % 64);
  if (word & mask) {
    ++counters_.duplicated;
    return;
  }
  word |= mask;
  if (static_cast<int64_t>(index) < c.highest_index) {
    ++counters_.reordered;
  } else {
    c.highest_index = static_cast<int64_t>(index);
  }
  ++counters_.delivered;
  histogram_.Record(now - static_cast<int64_t>(time_ns));
  if (c.latency) c.latency->Record(now - static_cast<int64_t>(time_ns));
  last_delivery_ns_ = now;
  if (++c.received == c.expected) --incomplete_clients_;
}

// One epoll_wait and its events; returns the number of events, -1 on error.
int Bench::PollOnce(int64_t timeout_ns) {
  epoll_event events[512];
  timeout_ns = std::max<int64_t>(timeout_ns, 0);
  const timespec timeout{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
  const int n = epoll_pwait2(epoll_, events, 512, &timeout, nullptr);
  if (n < 0) return errno == EINTR ? 0 : -1;
  for (int i = 0; i < n; ++i) {
    const uint64_t tag = events[i].data.u64;
    if (tag == kStdinTag) {
      if (!FlushStdin() && !server_exited_) ServerAlive();
    } else if (tag == kStdoutTag) {
      DrainServerStdout();
    } else {
      HandleClient(static_cast<uint32_t>(tag), events[i].events);
    }
  }
  return n;
}

bool Bench::ConnectAll() {
  if (o_.tls) {
    tls_.reset(SSL_CTX_new(TLS_client_method()));
    if (!tls_) return Fail("cannot create a TLS context");
    SSL_CTX_set_verify(tls_.get(), SSL_VERIFY_NONE, nullptr);
    // Like write(2): a partial write returns what was written; a retry may pass the rest from elsewhere.
    SSL_CTX_set_mode(tls_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  }
  size_t next = 0;
  const int64_t start = MonoNs();
  const int64_t deadline = start + static_cast<int64_t>(o_.connect_timeout * 1e9);
  int64_t last_check = start;
  while (ready_ < clients_.size()) {
    while (setup_error_.empty() && next < clients_.size() &&
           pending_setup_ < static_cast<uint32_t>(o_.max_pending_connects)) {
      if (!StartConnect(clients_[next++])) return false;
    }
    if (!setup_error_.empty()) return false;
    if (PollOnce(10'000'000) < 0) return Fail(Format("epoll_wait: %s", strerror(errno)));
    const int64_t now = MonoNs();
    if (now - last_check > 100'000'000) {
      last_check = now;
      if (!ServerAlive()) return Fail(Format("the server exited (status %d) during setup", server_status_));
    }
    if (g_interrupted) return Fail("interrupted");
    if (now > deadline) {
      return Fail(Format("only %u of %zu clients connected and subscribed within %.0f s", ready_, clients_.size(),
                         o_.connect_timeout));
    }
  }
  setup_ns_ = MonoNs() - start;
  return setup_error_.empty();
}

// ---- events

void Bench::ProduceDue(int64_t now) {
  while (produced_ < total_events_) {
    const int64_t due = DueNs(produced_);
    if (due > now) break;
    generator_lag_max_ns_ = std::max(generator_lag_max_ns_, now - due);
    const uint64_t i = produced_++;
    if (o_.overload && stdin_queue_.size() > 0) {
      // The pipe has not taken the last event: dropped, as the bridge's relay drops when its ring is full.
      ++shed_events_;
      ++shed_by_room_[i % static_cast<uint64_t>(o_.rooms)];
      continue;
    }
    // The content: --payload bytes of padding in "body", or the next corpus line as "spec".
    const std::string* spec = corpus_.empty() ? nullptr : &corpus_[i % corpus_.size()];
    char head[160], tail[160];
    const int head_bytes = snprintf(
        head, sizeof head,
        R"({"type":"m.room.message","content":{"bench_i":%)" PRIu64 R"(,"bench_t":%)" PRId64 R"(,"msgtype":"m.text",%s)",
        i, due, spec ? R"("spec":)" : R"("body":")");
    const int tail_bytes =
        snprintf(tail, sizeof tail, R"(%s},"room_id":"!room%)" PRIu64 R"(:bench","sender":"@bench:bench","event_id":"$bench%)" PRIu64 "\"}\n",
                 spec ? "" : "\"", i % static_cast<uint64_t>(o_.rooms), i);
    const size_t pad = spec ? spec->size() : static_cast<size_t>(std::max(0, o_.payload - head_bytes - tail_bytes));
    char* out = stdin_queue_.Reserve(static_cast<size_t>(head_bytes) + pad + static_cast<size_t>(tail_bytes));
    std::memcpy(out, head, static_cast<size_t>(head_bytes));
    if (spec) {
      std::memcpy(out + head_bytes, spec->data(), pad);
    } else {
      std::memset(out + head_bytes, 'x', pad);
    }
    std::memcpy(out + head_bytes + pad, tail, static_cast<size_t>(tail_bytes));
    stdin_queue_.Commit(static_cast<size_t>(head_bytes) + pad + static_cast<size_t>(tail_bytes));
  }
  stdin_backlog_max_ = std::max(stdin_backlog_max_, stdin_queue_.size());
}

// Writes what the server's stdin takes; false when the pipe is broken.
bool Bench::FlushStdin() {
  while (stdin_queue_.size() > 0 && server_stdin_ >= 0) {
    const ssize_t n = write(server_stdin_, stdin_queue_.data(), stdin_queue_.size());
    if (n > 0) {
      stdin_queue_.Consume(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!stdin_waiting_) {
        epoll_event e{};
        e.events = EPOLLOUT;
        e.data.u64 = kStdinTag;
        epoll_ctl(epoll_, EPOLL_CTL_ADD, server_stdin_, &e);
        stdin_waiting_ = true;
      }
      return true;
    }
    // EPIPE: the server closed its standard input.
    if (stdin_waiting_) epoll_ctl(epoll_, EPOLL_CTL_DEL, server_stdin_, nullptr);
    stdin_waiting_ = false;
    close(server_stdin_);
    server_stdin_ = -1;
    return false;
  }
  if (stdin_waiting_) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, server_stdin_, nullptr);
    stdin_waiting_ = false;
  }
  return true;
}

// ---- runs

int Bench::Run() {
  signal(SIGPIPE, SIG_IGN);
  struct sigaction interrupt {};
  interrupt.sa_handler = OnInterrupt;
  sigaction(SIGINT, &interrupt, nullptr);
  sigaction(SIGTERM, &interrupt, nullptr);

  const rlim_t descriptors = RaiseDescriptorLimit();
  if (descriptors < static_cast<rlim_t>(o_.clients) + 64) {
    setup_error_ = Format("%d clients need %d descriptors; RLIMIT_NOFILE allows this process %llu", o_.clients,
                          o_.clients + 64, static_cast<unsigned long long>(descriptors));
    ReportSetupFailure();
    return 2;
  }
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (!StartServer()) {
    StopServer();
    ReportSetupFailure();
    return 2;
  }
  pinned_ = PinToCpu(o_.bench_cpu);
  if (!pinned_) warnings_.push_back(Format("cannot pin the bench to CPU %d", o_.bench_cpu));
  if (server_stdout_ >= 0) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = kStdoutTag;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, server_stdout_, &e);
  }

  size_t longest_line = static_cast<size_t>(o_.payload);
  if (!o_.corpus.empty()) {
    std::ifstream in(o_.corpus);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      longest_line = std::max(longest_line, line.size() + 512);
      corpus_.push_back(std::move(line));
    }
    if (corpus_.empty()) {
      (void)Fail(Format("--corpus %s: no lines", o_.corpus.c_str()));
      StopServer();
      ReportSetupFailure();
      return 2;
    }
  }
  // Per-client state. A frame is the event line plus the server's envelope; room to spare.
  carry_capacity_ = std::max<size_t>(16 * 1024, 2 * longest_line + 8192);
  read_buffer_.reset(new char[carry_capacity_ + kReadChunk]);
  clients_.resize(static_cast<size_t>(o_.clients));
  total_events_ = o_.idle ? 0 : static_cast<uint64_t>(std::llround(o_.rate * o_.seconds));
  const uint64_t rooms = static_cast<uint64_t>(o_.rooms);
  shed_by_room_.assign(rooms, 0);
  size_t words = 0;
  for (size_t i = 0; i < clients_.size(); ++i) {
    Client& c = clients_[i];
    c.room = static_cast<uint32_t>(i % rooms);
    c.stalled = i * static_cast<uint64_t>(o_.stalled) % clients_.size() < static_cast<uint64_t>(o_.stalled);
    c.expected = c.stalled        ? 0
                 : !o_.filter_room ? total_events_
                                   : total_events_ / rooms + (c.room < total_events_ % rooms ? 1 : 0);
    expected_total_ += c.expected;
    words += (c.expected + 63) / 64;
  }
  // calloc: zero pages are mapped on first touch, so idle runs pay nothing.
  bitmaps_.reset(static_cast<uint64_t*>(std::calloc(std::max<size_t>(words, 1), sizeof(uint64_t))));
  if (!bitmaps_) {
    setup_error_ = "out of memory for the delivery bitmaps";
    ReportSetupFailure();
    return 2;
  }
  uint64_t* next_bitmap = bitmaps_.get();
  for (Client& c : clients_) {
    c.seen = next_bitmap;
    next_bitmap += (c.expected + 63) / 64;
    if (o_.overload && !c.stalled) c.latency = std::make_unique<LatencyHistogram>();
  }

  usleep(200'000);  // Let the server settle before the "before" memory figure.
  rss_before_kb_ = StatusKb(server_pid_, "VmRSS");
  if (!ConnectAll()) {
    StopServer();
    ReportSetupFailure();
    return 2;
  }
  running_ = true;
  const int status = o_.idle ? RunIdle() : RunLoad();
  // Close the clients first, so the server has nobody to wait for when it stops.
  for (Client& c : clients_) {
    if (c.fd >= 0) close(c.fd);
    c.fd = -1;
  }
  const bool died = server_exited_ || !ServerAlive();
  StopServer();
  if (died) {
    setup_error_ = Format("the server exited (status %d) during the run", server_status_);
    ReportSetupFailure();
    return 2;
  }
  if (g_interrupted) {
    setup_error_ = "interrupted";
    ReportSetupFailure();
    return 2;
  }
  if (o_.idle) {
    ReportIdle();
  } else {
    ReportLoad();
  }
  return status;
}

int Bench::RunLoad() {
  incomplete_clients_ = 0;
  for (const Client& c : clients_) incomplete_clients_ += c.expected > 0 ? 1 : 0;
  // Let the last subscriptions settle on the server before the clock starts.
  int64_t settle_until = MonoNs() + 100'000'000;
  while (MonoNs() < settle_until) PollOnce(settle_until - MonoNs());
  // Unwatched, a stalled client's socket is never read again: its receive buffer fills, then the server's
  // send buffer, and what happens next is up to the server.
  for (const Client& c : clients_) {
    if (c.stalled) epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
  }
  stalled_open_ = static_cast<uint32_t>(o_.stalled);

  t0_ = MonoNs();
  const int64_t server_cpu_start = ProcessCpuNs(server_pid_);
  const int64_t bench_cpu_start = SelfCpuNs();
  const CpuJiffies cpu_start[2] = {ReadCpuJiffies(o_.server_cpu), ReadCpuJiffies(o_.bench_cpu)};
  SampleServerRss();
  const int64_t send_deadline = t0_ + static_cast<int64_t>(o_.seconds * 1e9);
  bool send_done = false;
  int64_t last_check = t0_;
  // (time, bench CPU) every 100 ms, to find the busiest second: saturation in the drain counts too.
  constexpr int kWindow = 11;
  int64_t sample_time[kWindow], sample_cpu[kWindow];
  int samples = 0;
  for (;;) {
    int64_t now = MonoNs();
    ProduceDue(now);
    if (stdin_queue_.size() > 0 && !stdin_waiting_ && !FlushStdin()) {
      warnings_.push_back("the server closed its standard input");
      break;
    }
    if (server_stdin_ < 0) break;
    if (!send_done && produced_ == total_events_ && stdin_queue_.size() == 0) {
      send_done = true;
      send_end_ns_ = now;
      bench_cpu_send_ns_ = SelfCpuNs() - bench_cpu_start;
    }
    if (send_done && incomplete_clients_ == 0 && stalled_open_ == 0) break;
    const int64_t drain_deadline =
        (send_done ? send_end_ns_ : send_deadline) + static_cast<int64_t>(o_.drain_seconds * 1e9);
    if (now >= drain_deadline) break;
    if (now - last_check >= 100'000'000) {
      last_check = now;
      sample_time[samples % kWindow] = now;
      sample_cpu[samples % kWindow] = SelfCpuNs();
      if (++samples >= kWindow) {
        const int newest = (samples - 1) % kWindow, oldest = samples % kWindow;
        bench_cpu_max_1s_pct_ =
            std::max(bench_cpu_max_1s_pct_, 100.0 * static_cast<double>(sample_cpu[newest] - sample_cpu[oldest]) /
                                                 static_cast<double>(sample_time[newest] - sample_time[oldest]));
      }
      SampleServerRss();
      if (!ServerAlive() || g_interrupted) break;
      // Only then: the others are what the run is about, and reading the socket table costs the bench CPU.
      if (send_done && incomplete_clients_ == 0 && stalled_open_ > 0) stalled_open_ = StalledStillOpen();
    }
    int64_t wake = std::min(drain_deadline, last_check + 100'000'000);
    if (produced_ < total_events_) wake = std::min(wake, DueNs(produced_));
    if (PollOnce(wake - now) < 0) {
      warnings_.push_back(Format("epoll_wait: %s", strerror(errno)));
      break;
    }
  }
  end_ns_ = MonoNs();
  if (!send_done) {
    send_end_ns_ = end_ns_;
    bench_cpu_send_ns_ = SelfCpuNs() - bench_cpu_start;
  }
  events_unsent_ = total_events_ - produced_ +
                   static_cast<uint64_t>(std::count(stdin_queue_.data(), stdin_queue_.data() + stdin_queue_.size(), '\n'));
  const int64_t server_cpu_end = ProcessCpuNs(server_pid_);
  server_cpu_ns_ = server_cpu_end >= 0 && server_cpu_start >= 0 ? server_cpu_end - server_cpu_start : -1;
  bench_cpu_total_ns_ = SelfCpuNs() - bench_cpu_start;
  cpu_busy_pct_[0] = BusyPercent(cpu_start[0], ReadCpuJiffies(o_.server_cpu));
  cpu_busy_pct_[1] = BusyPercent(cpu_start[1], ReadCpuJiffies(o_.bench_cpu));
  SampleServerRss();
  if (stalled_open_ > 0) stalled_open_ = StalledStillOpen();
  const uint64_t lost = Lost();
  const bool exact = lost == 0 && counters_.duplicated == 0 && counters_.reordered == 0 &&
                     counters_.misdelivered == 0 && counters_.unexpected_messages == 0 && stalled_open_ == 0;
  return o_.require_exact && !exact ? 1 : 0;
}

int Bench::RunIdle() {
  const int64_t settle_until = MonoNs() + 1'000'000'000;
  while (MonoNs() < settle_until) PollOnce(settle_until - MonoNs());
  t0_ = MonoNs();
  const int64_t server_cpu_start = ProcessCpuNs(server_pid_);
  const int64_t bench_cpu_start = SelfCpuNs();
  const CpuJiffies cpu_start[2] = {ReadCpuJiffies(o_.server_cpu), ReadCpuJiffies(o_.bench_cpu)};
  const int64_t end = t0_ + static_cast<int64_t>(o_.seconds * 1e9);
  int64_t now = t0_;
  while (now < end && !g_interrupted) {
    SampleServerRss();
    if (!ServerAlive()) break;
    PollOnce(std::min<int64_t>(end - now, 100'000'000));
    now = MonoNs();
  }
  end_ns_ = MonoNs();
  const int64_t server_cpu_end = ProcessCpuNs(server_pid_);
  server_cpu_ns_ = server_cpu_end >= 0 && server_cpu_start >= 0 ? server_cpu_end - server_cpu_start : -1;
  bench_cpu_total_ns_ = SelfCpuNs() - bench_cpu_start;
  cpu_busy_pct_[0] = BusyPercent(cpu_start[0], ReadCpuJiffies(o_.server_cpu));
  cpu_busy_pct_[1] = BusyPercent(cpu_start[1], ReadCpuJiffies(o_.bench_cpu));
  rss_after_kb_ = StatusKb(server_pid_, "VmRSS");
  const bool exact = counters_.clients_closed == 0 && counters_.unexpected_messages == 0;
  return o_.require_exact && !exact ? 1 : 0;
}

// ---- reports

uint64_t Bench::ShedFor(const Client& c) const {
  if (c.stalled) return 0;
  return o_.filter_room ? shed_by_room_[c.room] : shed_events_;
}

uint64_t Bench::Lost() const {
  uint64_t shed = 0;
  for (const Client& c : clients_) shed += ShedFor(c);
  return expected_total_ - shed - counters_.delivered;
}

std::string Ms(int64_t ns) { return Format("%.3f", static_cast<double>(ns) / 1e6); }

void Bench::ReportLoad() {
  const double interval_s = static_cast<double>(end_ns_ - t0_) / 1e9;
  const double send_s = std::max(1e-9, static_cast<double>(send_end_ns_ - t0_) / 1e9);
  const double delivery_s = std::max(o_.seconds, static_cast<double>(last_delivery_ns_ - t0_) / 1e9);
  const uint64_t lost = Lost();
  const uint32_t stalled_closed = static_cast<uint32_t>(o_.stalled) - stalled_open_;
  const double deliveries_per_s = counters_.delivered == 0 ? 0 : static_cast<double>(counters_.delivered) / delivery_s;
  const double bench_cpu_pct = 100.0 * static_cast<double>(bench_cpu_send_ns_) / 1e9 / send_s;
  const double server_cpu_pct = server_cpu_ns_ < 0 ? -1 : 100.0 * static_cast<double>(server_cpu_ns_) / 1e9 / interval_s;
  const double wire_bytes_per_delivery =
      counters_.delivered == 0 ? 0 : static_cast<double>(counters_.wire_bytes) / static_cast<double>(counters_.delivered);
  const double server_cpu_per_delivery =
      server_cpu_ns_ < 0 || counters_.delivered == 0
          ? -1
          : static_cast<double>(server_cpu_ns_) / static_cast<double>(counters_.delivered);
  std::vector<std::string> invalid;
  if (bench_cpu_pct > 90) {
    invalid.push_back(Format("the load generator was saturated (%.0f%% of CPU %d while sending)", bench_cpu_pct,
                             o_.bench_cpu));
  } else if (bench_cpu_max_1s_pct_ > 90) {
    invalid.push_back(Format("the load generator was saturated (%.0f%% of CPU %d in its busiest second)",
                             bench_cpu_max_1s_pct_, o_.bench_cpu));
  }
  // Other processes on the two CPUs (the machine is shared): a warning, not a verdict.
  const double other[2] = {cpu_busy_pct_[0] - std::max(0.0, server_cpu_pct),
                           cpu_busy_pct_[1] - 100.0 * static_cast<double>(bench_cpu_total_ns_) / 1e9 / interval_s};
  for (int i = 0; i < 2; ++i) {
    if (other[i] > 20) {
      warnings_.push_back(Format("other processes used about %.0f%% of CPU %d", other[i],
                                 i == 0 ? o_.server_cpu : o_.bench_cpu));
    }
  }
  if (events_unsent_ > 0) {
    warnings_.push_back(Format("%" PRIu64 " events never reached the server's standard input", events_unsent_));
  }
  const bool valid = invalid.empty();
  const auto p = [&](double q) { return histogram_.Percentile(q); };
  // --overload: the clients the server kept open to the end.
  LatencyHistogram kept;
  uint64_t kept_clients = 0;
  uint64_t kept_lost = 0;
  for (const Client& c : clients_) {
    if (!c.latency || c.state == ClientState::kClosed) continue;
    ++kept_clients;
    kept_lost += c.expected - ShedFor(c) - c.received;
    kept.Merge(*c.latency);
  }
  const std::string kept_json =
      !o_.overload ? std::string()
                   : Format(",\"shed_at_publisher\":%" PRIu64 ",\"kept\":{\"clients\":%" PRIu64 ",\"lost\":%" PRIu64
                            ",\"latency_ms\":{\"p50\":%s,\"p99\":%s,\"max\":%s}}",
                            shed_events_, kept_clients, kept_lost, Ms(kept.Percentile(0.5)).c_str(), Ms(kept.Percentile(0.99)).c_str(),
                            Ms(kept.max()).c_str());

  if (o_.json) {
    std::string reasons = "[";
    for (size_t i = 0; i < invalid.size(); ++i) reasons += (i ? "," : "") + JsonString(invalid[i]);
    reasons += "]";
    std::string warnings = "[";
    for (size_t i = 0; i < warnings_.size(); ++i) warnings += (i ? "," : "") + JsonString(warnings_[i]);
    warnings += "]";
    std::printf(
        "{\"label\":%s,\"mode\":\"load\",\"tls\":%s,\"server_cmd\":%s,\"clients\":%d,\"rate\":%g,\"seconds\":%g,"
        "\"filter\":\"%s\",\"rooms\":%d,\"payload\":%d,\"events\":%" PRIu64 ",\"expected\":%" PRIu64
        ",\"delivered\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"duplicated\":%" PRIu64 ",\"reordered\":%" PRIu64
        ",\"misdelivered\":%" PRIu64 ",\"unexpected_messages\":%" PRIu64 ",\"clients_closed\":%" PRIu64
        ",\"stalled\":%d,\"stalled_closed\":%u,\"deliveries_per_s\":%.0f,\"offered_deliveries_per_s\":%.0f,"
        "\"latency_ms\":{\"p50\":%s,\"p90\":%s,\"p99\":%s,\"p999\":%s,\"max\":%s},"
        "\"compression\":%s,\"corpus\":%s,\"wire_bytes_per_delivery\":%.1f,"
        "\"server_cpu_ns_per_delivery\":%.0f,\"server_cpu_pct\":%.1f,\"server_rss_kb\":%" PRId64
        ",\"bench_cpu_pct\":%.1f,\"bench_cpu_max_1s_pct\":%.1f,\"cpu_busy_pct\":{\"server_cpu\":%.1f,\"bench_cpu\":%.1f},"
        "\"generator_lag_max_ms\":%s,\"stdin_backlog_max_bytes\":%zu,\"setup_s\":%.2f,\"measured_s\":%.3f,"
        "\"valid\":%s,\"reason\":%s,\"invalid_reasons\":%s,\"warnings\":%s,\"first_problem\":%s%s}\n",
        JsonString(o_.label).c_str(), o_.tls ? "true" : "false", JsonString(o_.server_cmd).c_str(), o_.clients,
        o_.rate, o_.seconds, o_.filter_room ? "room" : "all", o_.rooms, o_.payload, total_events_, expected_total_, counters_.delivered,
        lost, counters_.duplicated, counters_.reordered, counters_.misdelivered, counters_.unexpected_messages,
        counters_.clients_closed, o_.stalled, stalled_closed, deliveries_per_s,
        static_cast<double>(expected_total_) / o_.seconds,
        Ms(p(0.5)).c_str(), Ms(p(0.9)).c_str(), Ms(p(0.99)).c_str(), Ms(p(0.999)).c_str(),
        Ms(histogram_.max()).c_str(), o_.compression ? "true" : "false", JsonString(o_.corpus).c_str(),
        wire_bytes_per_delivery, server_cpu_per_delivery, server_cpu_pct, server_rss_peak_kb_, bench_cpu_pct,
        bench_cpu_max_1s_pct_, cpu_busy_pct_[0], cpu_busy_pct_[1], Ms(generator_lag_max_ns_).c_str(), stdin_backlog_max_,
        static_cast<double>(setup_ns_) / 1e9, interval_s, valid ? "true" : "false",
        JsonString(valid ? "" : invalid.front()).c_str(), reasons.c_str(), warnings.c_str(),
        JsonString(first_problem_).c_str(), kept_json.c_str());
  } else {
    std::printf("eventbus-bench%s%s: %d %sclients, %g events/s for %g s, filter %s%s, %d-byte events\n",
                o_.label.empty() ? "" : " ", o_.label.c_str(), o_.clients, o_.tls ? "TLS " : "", o_.rate, o_.seconds,
                o_.filter_room ? "room" : "all", o_.filter_room ? Format(" (%d rooms)", o_.rooms).c_str() : "",
                o_.payload);
    std::printf("  delivered  %" PRIu64 " of %" PRIu64 " (lost %" PRIu64 ", duplicated %" PRIu64 ", reordered %" PRIu64
                ", misdelivered %" PRIu64 ", other messages %" PRIu64 ", clients closed %" PRIu64 ")\n",
                counters_.delivered, expected_total_, lost, counters_.duplicated, counters_.reordered,
                counters_.misdelivered, counters_.unexpected_messages, counters_.clients_closed);
    if (o_.stalled > 0) {
      std::printf("  stalled    %d of the %d clients stopped reading when the events started (not counted above); "
                  "the server closed %u of them\n",
                  o_.stalled, o_.clients, stalled_closed);
    }
    if (o_.overload) {
      std::printf("  overload   %" PRIu64 " events shed at the publisher; %" PRIu64
                  " clients open to the end: lost %" PRIu64 ", latency ms p50 %s  p99 %s  max %s\n",
                  shed_events_, kept_clients, kept_lost, Ms(kept.Percentile(0.5)).c_str(), Ms(kept.Percentile(0.99)).c_str(),
                  Ms(kept.max()).c_str());
    }
    std::printf("  rate       %.0f deliveries/s (offered %.0f)\n", deliveries_per_s,
                static_cast<double>(expected_total_) / o_.seconds);
    std::printf("  latency ms p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", Ms(p(0.5)).c_str(), Ms(p(0.9)).c_str(),
                Ms(p(0.99)).c_str(), Ms(p(0.999)).c_str(), Ms(histogram_.max()).c_str());
    std::printf("  server     %.0f ns CPU per delivery, %.0f%% of a core, peak RSS %" PRId64 " kB\n",
                server_cpu_per_delivery, server_cpu_pct, server_rss_peak_kb_);
    std::printf("  wire       %.1f bytes per delivery (%s%s%s)\n", wire_bytes_per_delivery,
                o_.compression ? "permessage-deflate" : "uncompressed", o_.corpus.empty() ? "" : ", corpus ",
                o_.corpus.c_str());
    std::printf("  bench      %.0f%% of CPU %d while sending (busiest second %.0f%%), max lag behind schedule %s ms, "
                "max stdin backlog %zu B\n",
                bench_cpu_pct, o_.bench_cpu, bench_cpu_max_1s_pct_, Ms(generator_lag_max_ns_).c_str(),
                stdin_backlog_max_);
    std::printf("  %s\n", valid ? "valid" : ("NOT VALID: " + invalid.front()).c_str());
    if (!first_problem_.empty()) std::printf("  first problem: %s\n", first_problem_.c_str());
    for (const std::string& w : warnings_) std::printf("  warning: %s\n", w.c_str());
  }
  std::fflush(stdout);
}

void Bench::ReportIdle() {
  const double interval_s = static_cast<double>(end_ns_ - t0_) / 1e9;
  const double server_cpu_pct = server_cpu_ns_ < 0 ? -1 : 100.0 * static_cast<double>(server_cpu_ns_) / 1e9 / interval_s;
  const double bytes_per_connection =
      rss_before_kb_ < 0 || rss_after_kb_ < 0
          ? -1
          : static_cast<double>(rss_after_kb_ - rss_before_kb_) * 1024.0 / static_cast<double>(o_.clients);
  const double bench_cpu_pct = 100.0 * static_cast<double>(bench_cpu_total_ns_) / 1e9 / interval_s;
  if (o_.json) {
    std::string warnings = "[";
    for (size_t i = 0; i < warnings_.size(); ++i) warnings += (i ? "," : "") + JsonString(warnings_[i]);
    warnings += "]";
    std::printf(
        "{\"label\":%s,\"mode\":\"idle\",\"server_cmd\":%s,\"clients\":%d,\"seconds\":%g,\"filter\":\"%s\","
        "\"compression\":%s,"
        "\"rooms\":%d,\"setup_s\":%.2f,\"server_rss_before_kb\":%" PRId64 ",\"server_rss_after_kb\":%" PRId64
        ",\"server_rss_kb\":%" PRId64 ",\"server_bytes_per_connection\":%.0f,\"server_cpu_pct_idle\":%.2f,"
        "\"clients_closed\":%" PRIu64 ",\"unexpected_messages\":%" PRIu64 ",\"bench_cpu_pct\":%.2f,"
        "\"valid\":%s,\"reason\":\"\",\"warnings\":%s,\"first_problem\":%s}\n",
        JsonString(o_.label).c_str(), JsonString(o_.server_cmd).c_str(), o_.clients, o_.seconds,
        o_.filter_room ? "room" : "all", o_.compression ? "true" : "false", o_.rooms,
        static_cast<double>(setup_ns_) / 1e9, rss_before_kb_,
        rss_after_kb_, server_rss_peak_kb_, bytes_per_connection, server_cpu_pct, counters_.clients_closed,
        counters_.unexpected_messages, bench_cpu_pct, "true", warnings.c_str(), JsonString(first_problem_).c_str());
  } else {
    std::printf("eventbus-bench%s%s: %d idle subscribed connections%s for %g s (connected in %.2f s)\n",
                o_.label.empty() ? "" : " ", o_.label.c_str(), o_.clients,
                o_.compression ? " with permessage-deflate" : "", o_.seconds,
                static_cast<double>(setup_ns_) / 1e9);
    std::printf("  server RSS %" PRId64 " kB before, %" PRId64 " kB after: %.0f bytes per connection\n", rss_before_kb_,
                rss_after_kb_, bytes_per_connection);
    std::printf("  server CPU while idle %.2f%% of a core; connections closed by the server %" PRIu64
                ", unexpected messages %" PRIu64 "\n",
                server_cpu_pct, counters_.clients_closed, counters_.unexpected_messages);
    if (!first_problem_.empty()) std::printf("  first problem: %s\n", first_problem_.c_str());
    for (const std::string& w : warnings_) std::printf("  warning: %s\n", w.c_str());
  }
  std::fflush(stdout);
}

void Bench::ReportSetupFailure() {
  std::fprintf(stderr, "eventbus-bench: %s\n", setup_error_.c_str());
  if (o_.json) {
    std::printf("{\"label\":%s,\"mode\":\"%s\",\"server_cmd\":%s,\"clients\":%d,\"rate\":%g,\"error\":%s}\n",
                JsonString(o_.label).c_str(), o_.idle ? "idle" : "load", JsonString(o_.server_cmd).c_str(),
                o_.clients, o_.rate, JsonString(setup_error_).c_str());
    std::fflush(stdout);
  }
}

}  // namespace
}  // namespace armorclaw::eventbus::bench

int main(int argc, char** argv) {
  using namespace armorclaw::eventbus::bench;
  Options options;
  std::string error;
  if (!ParseOptions(argc, argv, options, error)) {
    std::fprintf(stderr, "eventbus-bench: %s\n", error.c_str());
    return 2;
  }
  Bench bench(std::move(options));
  return bench.Run();
}
