#include "plugin/history/log_record.h"

#include <zlib.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/json/monotonic_resource.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"

namespace armorclaw::eventbus {
namespace {

void AppendLittleEndian32(uint32_t value, std::string& out) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

uint32_t ReadLittleEndian32(const char* bytes) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

uint32_t Crc32(std::string_view bytes) {
  // zlib's crc32 takes a uInt length; a payload is below 4 GiB (its length field is 32 bits).
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

// What EncodeLogRecord writes before the payload.
std::string RecordPrefix(uint64_t offset, int64_t timestamp_ns, std::string_view type) {
  return absl::StrCat(R"({"offset":)", offset, R"(,"timestamp":)", timestamp_ns, R"(,"type":)",
                      boost::json::serialize(boost::json::string_view(type.data(), type.size())), R"(,"payload":)");
}

}  // namespace

void EncodeLogRecord(const LogRecordView& record, std::string& out) {
  const size_t header_at = out.size();
  out.append(kLogFrameHeaderBytes, '\0');
  out += RecordPrefix(record.offset, record.timestamp_ns, record.type);
  out += record.payload;
  out += '}';
  const std::string_view json(out.data() + header_at + kLogFrameHeaderBytes,
                              out.size() - header_at - kLogFrameHeaderBytes);
  std::string header;
  AppendLittleEndian32(static_cast<uint32_t>(json.size()), header);
  AppendLittleEndian32(Crc32(json), header);
  out.replace(header_at, kLogFrameHeaderBytes, header);
}

LogFrame SplitLogFrame(std::string_view bytes) {
  LogFrame frame;
  if (bytes.size() < kLogFrameHeaderBytes) return frame;
  frame.length = ReadLittleEndian32(bytes.data());
  if (bytes.size() - kLogFrameHeaderBytes < frame.length) return frame;
  const uint32_t crc = ReadLittleEndian32(bytes.data() + 4);
  const std::string_view json = bytes.substr(kLogFrameHeaderBytes, frame.length);
  if (const uint32_t actual = Crc32(json); actual != crc) {
    frame.outcome = LogFrame::Outcome::kCorrupt;
    frame.problem = absl::StrCat("CRC mismatch (header ", crc, ", payload ", actual, ")");
    return frame;
  }
  frame.outcome = LogFrame::Outcome::kComplete;
  frame.size = kLogFrameHeaderBytes + frame.length;
  frame.json = json;
  return frame;
}

absl::StatusOr<LogRecord> ParseLogRecordJson(std::string_view json) {
  // The parsed tree is dropped on return: a monotonic arena makes it one allocation or so.
  boost::json::monotonic_resource arena;
  boost::system::error_code error;
  const boost::json::value parsed = boost::json::parse(json, error, &arena);
  if (error) return absl::DataLossError(absl::StrCat("record is not JSON: ", error.message()));
  const boost::json::object* object = parsed.if_object();
  if (object == nullptr) return absl::DataLossError("record is not a JSON object");

  LogRecord record;
  const boost::json::value* offset = object->if_contains("offset");
  if (offset != nullptr && offset->is_int64() && offset->get_int64() >= 0) {
    record.offset = static_cast<uint64_t>(offset->get_int64());
  } else if (offset != nullptr && offset->is_uint64()) {
    record.offset = offset->get_uint64();
  } else {
    return absl::DataLossError("record has no unsigned integer \"offset\"");
  }
  const boost::json::value* timestamp = object->if_contains("timestamp");
  if (timestamp == nullptr || !timestamp->is_int64()) {
    return absl::DataLossError("record has no integer \"timestamp\"");
  }
  record.timestamp_ns = timestamp->get_int64();
  const boost::json::value* type = object->if_contains("type");
  if (type == nullptr || !type->is_string()) return absl::DataLossError("record has no string \"type\"");
  record.type.assign(type->get_string().data(), type->get_string().size());
  const boost::json::value* payload = object->if_contains("payload");
  if (payload == nullptr) return absl::DataLossError("record has no \"payload\"");

  // Our own layout: the payload is the text between the prefix and the closing brace, kept byte for byte
  // (a number written 1.50 stays 1.50). That text must be one JSON value by itself, or a later member
  // (a duplicate "payload", say) would be taken for part of it.
  const std::string prefix = RecordPrefix(record.offset, record.timestamp_ns, record.type);
  if (json.starts_with(prefix) && json.ends_with('}') && object->size() == 4) {
    const std::string_view verbatim = json.substr(prefix.size(), json.size() - prefix.size() - 1);
    boost::json::monotonic_resource check_arena;
    boost::json::parse(verbatim, error, &check_arena);
    if (!error) {
      record.payload.assign(verbatim);
      return record;
    }
  }
  record.payload = boost::json::serialize(*payload);
  return record;
}

DecodedLogRecord DecodeLogRecord(std::string_view bytes) {
  DecodedLogRecord decoded;
  LogFrame frame = SplitLogFrame(bytes);
  decoded.outcome = frame.outcome;
  if (frame.outcome != LogFrame::Outcome::kComplete) {
    decoded.problem = std::move(frame.problem);
    return decoded;
  }
  absl::StatusOr<LogRecord> record = ParseLogRecordJson(frame.json);
  if (!record.ok()) {
    decoded.outcome = LogFrame::Outcome::kCorrupt;
    decoded.problem = std::string(record.status().message());
    return decoded;
  }
  decoded.size = frame.size;
  decoded.record = *std::move(record);
  return decoded;
}

}  // namespace armorclaw::eventbus
