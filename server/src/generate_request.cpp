#include "generate_request.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <set>
#include <sstream>
#include <vector>

#include "foley/server/api_error.h"

namespace foley::server {

using nlohmann::json;

bool is_valid_utf8(const std::string& text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t n = text.size(), i = 0;
  while (i < n) {
    unsigned char c = s[i];
    std::size_t len;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += len;
  }
  return true;
}

bool is_blank(const std::string& text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t n = text.size(), i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if (!(c == ' ' || (c >= 0x09 && c <= 0x0D))) return false;
      ++i;
      continue;
    }
    std::size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    uint32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k < len && i + k < n; ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    bool space = cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) ||
                 cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
                 cp == 0x3000 || cp == 0xFEFF;
    if (!space) return false;
    i += len;
  }
  return true;
}

namespace {

const std::set<std::string> kArgsFields = {"prompt", "cfg",   "seed",  "n",
                                           "duration", "negative_prompt", "steps", "format"};

const char* json_type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::number_float: return "a non-integer number";
    default: return "a number";
  }
}

// Deferred range errors: collected while types are checked, reported only if every field
// had the right type (400 before 422).
struct RangeErrors {
  std::vector<std::string> messages;
  void add(std::string m) { messages.push_back(std::move(m)); }
};

double require_number(const json& args, const char* field) {
  const json& v = args.at(field);
  if (!v.is_number()) {
    throw ApiError::bad_request(std::string("field 'args.") + field + "' must be a number, got " +
                                json_type_name(v));
  }
  return v.get<double>();
}

// Integers: JSON integers, or numbers with no fractional part (42.0); a value too large for
// int64 arrives as a float and is then reported as out of range, not as a wrong type.
long double require_integer(const json& args, const char* field) {
  const json& v = args.at(field);
  if (v.is_number_integer()) {
    return v.is_number_unsigned() ? static_cast<long double>(v.get<uint64_t>())
                                  : static_cast<long double>(v.get<int64_t>());
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && std::floor(d) == d) return d;
  }
  throw ApiError::bad_request(std::string("field 'args.") + field + "' must be an integer, got " +
                              json_type_name(v));
}

std::string require_string(const json& args, const char* field) {
  const json& v = args.at(field);
  if (!v.is_string()) {
    throw ApiError::bad_request(std::string("field 'args.") + field + "' must be a string, got " +
                                json_type_name(v));
  }
  return v.get<std::string>();
}

std::string format_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

GenerateArgs parse_generate_request(const std::string& body) {
  if (!is_valid_utf8(body)) {
    throw ApiError::bad_request("the request body is not valid UTF-8; send UTF-8 encoded JSON");
  }
  json root;
  try {
    root = json::parse(body);
  } catch (const json::parse_error& e) {
    throw ApiError::bad_request(std::string("the request body is not valid JSON (") + e.what() +
                                "); send {\"args\": {\"prompt\": \"...\"}}");
  }
  if (!root.is_object()) {
    throw ApiError::bad_request(
        "the request body must be a JSON object like {\"args\": {\"prompt\": \"...\"}}");
  }
  for (const auto& [key, value] : root.items()) {
    if (key != "args" && key != "model") {
      throw ApiError::bad_request("unknown top-level field '" + key +
                                  "'; allowed: 'args' (required) and 'model'");
    }
  }
  GenerateArgs out;
  if (root.contains("model")) {
    if (!root["model"].is_string()) {
      throw ApiError::bad_request(std::string("field 'model' must be a string (a model id from "
                                              "GET /v1/models), got ") +
                                  json_type_name(root["model"]));
    }
    out.model = root["model"].get<std::string>();
  }
  if (!root.contains("args")) {
    throw ApiError::bad_request("field 'args' is missing; send {\"args\": {\"prompt\": \"...\"}}");
  }
  const json& args = root["args"];
  if (!args.is_object()) {
    throw ApiError::bad_request(std::string("field 'args' must be an object, got ") +
                                json_type_name(args));
  }
  for (const auto& [key, value] : args.items()) {
    if (!kArgsFields.count(key)) {
      throw ApiError::bad_request("unknown field 'args." + key +
                                  "'; allowed: prompt, cfg, seed, n, duration, negative_prompt, "
                                  "steps, format");
    }
  }
  if (!args.contains("prompt")) {
    throw ApiError::bad_request("field 'args.prompt' is required: the text describing the sound");
  }

  RangeErrors range;
  out.prompt = require_string(args, "prompt");
  if (is_blank(out.prompt)) {
    range.add("field 'args.prompt' must not be empty or only whitespace; describe the sound");
  }
  if (args.contains("negative_prompt")) out.negative_prompt = require_string(args, "negative_prompt");
  if (args.contains("cfg")) {
    out.cfg = require_number(args, "cfg");
    if (!(out.cfg >= 0 && out.cfg <= 10)) {
      range.add("field 'args.cfg' must be between 0 and 10, got " + format_number(out.cfg));
    }
  }
  if (args.contains("seed")) {
    long double seed = require_integer(args, "seed");
    if (seed < std::numeric_limits<int32_t>::min() || seed > std::numeric_limits<int32_t>::max()) {
      range.add("field 'args.seed' must be an int32 (-2147483648 to 2147483647), got " +
                args["seed"].dump());
    } else {
      out.seed = static_cast<int32_t>(seed);
    }
  }
  if (args.contains("n")) {
    long double n = require_integer(args, "n");
    if (n < 1 || n > 4) {
      range.add("field 'args.n' must be between 1 and 4, got " + args["n"].dump());
    } else {
      out.n = static_cast<int>(n);
    }
  }
  if (args.contains("duration")) {
    out.duration = require_number(args, "duration");
    if (*out.duration < 0.5) {
      range.add("field 'args.duration' must be at least 0.5 seconds, got " +
                format_number(*out.duration));
    }
  }
  if (args.contains("steps")) {
    long double steps = require_integer(args, "steps");
    if (steps < 1 || steps > 200) {
      range.add("field 'args.steps' must be between 1 and 200, got " + args["steps"].dump());
    } else {
      out.steps = static_cast<int>(steps);
    }
  }
  if (args.contains("format")) {
    std::string format = require_string(args, "format");
    if (format == "wav") out.format = AudioFormat::kWav;
    else if (format == "flac") out.format = AudioFormat::kFlac;
    else range.add("field 'args.format' must be \"wav\" or \"flac\", got " + args["format"].dump());
  }
  if (!range.messages.empty()) {
    std::string message = range.messages.front();
    for (std::size_t i = 1; i < range.messages.size(); ++i) message += "; " + range.messages[i];
    throw ApiError::validation(message);
  }
  return out;
}

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}
}  // namespace

AudioFormat negotiate_format(const std::string& accept_header) {
  if (accept_header.empty()) return AudioFormat::kWav;
  // The most specific matching range decides each type's q (RFC 9110 §12.5.1).
  double q_wav = 0, q_flac = 0;
  int spec_wav = -1, spec_flac = -1;
  std::stringstream list(accept_header);
  std::string item;
  while (std::getline(list, item, ',')) {
    std::stringstream parts(item);
    std::string range;
    std::getline(parts, range, ';');
    range = lower(trim(range));
    double q = 1;
    std::string param;
    while (std::getline(parts, param, ';')) {
      param = lower(trim(param));
      if (param.rfind("q=", 0) == 0) {
        try {
          q = std::stod(param.substr(2));
        } catch (const std::exception&) {
          q = 0;
        }
      }
    }
    auto apply = [&](const std::string& type, double& q_out, int& spec_out) {
      int specificity = -1;
      if (range == type) specificity = 2;
      else if (range == "audio/*") specificity = 1;
      else if (range == "*/*") specificity = 0;
      if (specificity > spec_out) {
        spec_out = specificity;
        q_out = q;
      }
    };
    apply("audio/wav", q_wav, spec_wav);
    apply("audio/x-wav", q_wav, spec_wav);
    apply("audio/flac", q_flac, spec_flac);
    apply("audio/x-flac", q_flac, spec_flac);
  }
  return q_flac > q_wav ? AudioFormat::kFlac : AudioFormat::kWav;
}

}  // namespace foley::server
