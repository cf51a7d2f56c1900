// Every error of api.md's table: status, code, exact body shape, headers, check order.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_server.h"

namespace foley::server::testing {
namespace {

using nlohmann::json;

// The body is exactly {"code","message","request_id"} with request_id == X-Request-Id.
void expect_error(const httplib::Result& res, int status, const std::string& code,
                  const std::string& message_part = "") {
  ASSERT_TRUE(res) << "no response";
  EXPECT_EQ(res->status, status) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  json j;
  ASSERT_NO_THROW(j = json::parse(res->body)) << res->body;
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 3u) << res->body;
  EXPECT_EQ(j.value("code", ""), code);
  ASSERT_TRUE(j["message"].is_string());
  EXPECT_FALSE(j["message"].get<std::string>().empty());
  if (!message_part.empty()) {
    EXPECT_NE(j["message"].get<std::string>().find(message_part), std::string::npos)
        << "message '" << j["message"] << "' should mention '" << message_part << "'";
  }
  EXPECT_EQ(j.value("request_id", ""), res->get_header_value("X-Request-Id"));
}

TEST(Errors, BadRequest400) {
  TestServer server({.configure = [](ServerConfig& c) { c.rate_limit_requests = 1000; }});
  expect_error(server.generate("{not json"), 400, "BAD_REQUEST", "JSON");
  expect_error(server.generate(std::string("{\"args\":{\"prompt\":\"\xff\xfe\"}}")), 400,
               "BAD_REQUEST", "UTF-8");
  expect_error(server.generate("[1,2]"), 400, "BAD_REQUEST", "object");
  expect_error(server.generate("{}"), 400, "BAD_REQUEST", "args");
  expect_error(server.generate(R"({"args":"door"})"), 400, "BAD_REQUEST", "args");
  expect_error(server.generate(R"({"args":{}})"), 400, "BAD_REQUEST", "prompt");
  expect_error(server.generate(R"({"args":{"prompt":42}})"), 400, "BAD_REQUEST", "prompt");
  expect_error(server.generate(R"({"args":{"prompt":"x","cfg":"high"}})"), 400, "BAD_REQUEST", "cfg");
  expect_error(server.generate(R"({"args":{"prompt":"x","seed":4.5}})"), 400, "BAD_REQUEST", "seed");
  expect_error(server.generate(R"({"args":{"prompt":"x","n":"2"}})"), 400, "BAD_REQUEST", "args.n");
  expect_error(server.generate(R"({"args":{"prompt":"x","duration":true}})"), 400, "BAD_REQUEST", "duration");
  expect_error(server.generate(R"({"args":{"prompt":"x","steps":null}})"), 400, "BAD_REQUEST", "steps");
  expect_error(server.generate(R"({"args":{"prompt":"x","format":1}})"), 400, "BAD_REQUEST", "format");
  expect_error(server.generate(R"({"args":{"prompt":"x","negative_prompt":[]}})"), 400, "BAD_REQUEST",
               "negative_prompt");
  expect_error(server.generate(R"({"args":{"prompt":"x","temperature":1}})"), 400, "BAD_REQUEST",
               "temperature");
  expect_error(server.generate(R"({"model":7,"args":{"prompt":"x"}})"), 400, "BAD_REQUEST", "model");
}

TEST(Errors, Unauthorized401) {
  TestServer server;
  const std::string ok = R"({"args":{"prompt":"x","duration":0.5}})";
  expect_error(server.generate_with_key("", ok), 401, "UNAUTHORIZED", "Authorization");
  auto c = server.client();
  expect_error(c->Post("/v1/audio/sound_effect_generate", {{"Authorization", "Basic dXNlcjpwYXNz"}}, ok,
                       "application/json"),
               401, "UNAUTHORIZED", "malformed");
  expect_error(c->Post("/v1/audio/sound_effect_generate", {{"Authorization", "Bearer"}}, ok,
                       "application/json"),
               401, "UNAUTHORIZED");
  expect_error(server.generate_with_key("not-a-foley-key", ok), 401, "UNAUTHORIZED");
  // Right shape, wrong secret.
  std::string forged = server.key();
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  expect_error(server.generate_with_key(forged, ok), 401, "UNAUTHORIZED");
  expect_error(server.generate_with_key("fk_000000000000_" + std::string(43, 'A'), ok), 401, "UNAUTHORIZED");
  // Revoked: takes effect on the next request.
  auto revoked = server.app().keys().create("to-revoke", 3600);
  EXPECT_EQ(server.generate_with_key(revoked.key, R"({"args":{"prompt":"x","cfg":99}})")->status, 422);
  ASSERT_TRUE(server.app().keys().revoke(revoked.info.id));
  expect_error(server.generate_with_key(revoked.key, ok), 401, "UNAUTHORIZED", "revoked");
  // Expired.
  auto expiring = server.app().keys().create("short", 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  expect_error(server.generate_with_key(expiring.key, ok), 401, "UNAUTHORIZED", "expired");
  EXPECT_EQ(server.generate_with_key("", ok)->get_header_value("WWW-Authenticate"), "Bearer");
}

TEST(Errors, NotFound404ForUnknownPathAndModel) {
  TestServer server;
  auto c = server.client();
  expect_error(c->Get("/v1/nothing-here"), 404, "NOT_FOUND");
  expect_error(c->Post("/v1/audio/other", "{}", "application/json"), 404, "NOT_FOUND");
  expect_error(server.generate(R"({"model":"no-such-model","args":{"prompt":"x","duration":0.5}})"), 404,
               "NOT_FOUND", "no-such-model");
}

TEST(Errors, MethodNotAllowed405WithAllow) {
  TestServer server;
  auto c = server.client();
  auto res = c->Get("/v1/audio/sound_effect_generate");
  expect_error(res, 405, "METHOD_NOT_ALLOWED", "POST");
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
  auto put = c->Put("/v1/audio/sound_effect_generate", "{}", "application/json");
  expect_error(put, 405, "METHOD_NOT_ALLOWED");
  EXPECT_EQ(put->get_header_value("Allow"), "POST");
  for (const char* path : {"/healthz", "/readyz", "/metrics", "/v1/models", "/openapi.json",
                           "/v1/integration-prompt"}) {
    auto post = c->Post(path, "{}", "application/json");
    expect_error(post, 405, "METHOD_NOT_ALLOWED");
    EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD") << path;
    auto del = c->Delete(path);
    expect_error(del, 405, "METHOD_NOT_ALLOWED");
  }
}

TEST(Errors, PayloadTooLarge413BeforeTheBodyIsRead) {
  TestServer server;
  // Over 64 KiB with a valid key: 413.
  std::string big = R"({"args":{"prompt":")" + std::string(70 * 1024, 'a') + R"("}})";
  expect_error(server.generate(big), 413, "PAYLOAD_TOO_LARGE", "65536");
  // Size is checked before auth: no key at all still gives 413.
  expect_error(server.generate_with_key("", big), 413, "PAYLOAD_TOO_LARGE");
  // Exactly at the limit passes the size check (and fails later, as invalid JSON).
  expect_error(server.generate(std::string(64 * 1024, ' ')), 400, "BAD_REQUEST");
  // Headers only, announcing 100 MB, body never sent: the answer comes without reading it.
  std::string response = raw_exchange(
      server.port(),
      "POST /v1/audio/sound_effect_generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 100000000\r\n\r\n",
      3000);
  ASSERT_EQ(response.rfind("HTTP/1.1 413", 0), 0u) << response;
  EXPECT_NE(response.find("\"code\":\"PAYLOAD_TOO_LARGE\""), std::string::npos);
  // Chunked bodies (no Content-Length) are cut off at the limit.
  std::string chunk(40 * 1024, 'a');
  char size_hex[16];
  std::snprintf(size_hex, sizeof size_hex, "%zx", chunk.size());
  std::string chunked = "POST /v1/audio/sound_effect_generate HTTP/1.1\r\nHost: x\r\n"
                        "Content-Type: application/json\r\nAuthorization: Bearer " + server.key() +
                        "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunked += std::string(size_hex) + "\r\n" + chunk + "\r\n";
  chunked += "0\r\n\r\n";
  response = raw_exchange(server.port(), chunked, 3000);
  EXPECT_EQ(response.rfind("HTTP/1.1 413", 0), 0u) << response.substr(0, 200);
}

TEST(Errors, PayloadLimitIsConfigurable) {
  TestServer server({.configure = [](ServerConfig& c) { c.max_body_bytes = 100; }});
  expect_error(server.generate(R"({"args":{"prompt":")" + std::string(200, 'a') + R"("}})"), 413,
               "PAYLOAD_TOO_LARGE", "100 bytes");
  EXPECT_EQ(server.generate(R"({"args":{"prompt":"x","cfg":50}})")->status, 422);
}

TEST(Errors, UnsupportedMediaType415) {
  TestServer server;
  auto c = server.client();
  httplib::Headers auth = {{"Authorization", "Bearer " + server.key()}};
  const std::string ok = R"({"args":{"prompt":"x","duration":0.5}})";
  expect_error(c->Post("/v1/audio/sound_effect_generate", auth, ok, "text/plain"), 415,
               "UNSUPPORTED_MEDIA_TYPE", "application/json");
  expect_error(c->Post("/v1/audio/sound_effect_generate", auth, ok, "application/x-www-form-urlencoded"),
               415, "UNSUPPORTED_MEDIA_TYPE");
  // No Content-Type at all.
  std::string response = raw_exchange(
      server.port(), "POST /v1/audio/sound_effect_generate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                         server.key() + "\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(ok.size()) + "\r\n\r\n" + ok);
  EXPECT_EQ(response.rfind("HTTP/1.1 415", 0), 0u) << response;
  // Parameters are fine.
  auto with_charset = c->Post("/v1/audio/sound_effect_generate", auth,
                              R"({"args":{"prompt":"x","cfg":11}})", "application/json; charset=utf-8");
  EXPECT_EQ(with_charset->status, 422);
}

TEST(Errors, Validation422) {
  TestServer server({.configure = [](ServerConfig& c) { c.rate_limit_requests = 1000; }});
  auto gen = [&](const std::string& args) {
    return server.generate(R"({"args":{"prompt":"door",)" + args + "}}");
  };
  expect_error(gen(R"("cfg":12)"), 422, "VALIDATION_ERROR", "args.cfg");
  expect_error(gen(R"("cfg":-0.1)"), 422, "VALIDATION_ERROR", "between 0 and 10");
  expect_error(gen(R"("n":5)"), 422, "VALIDATION_ERROR", "args.n");
  expect_error(gen(R"("n":0)"), 422, "VALIDATION_ERROR", "between 1 and 4");
  expect_error(gen(R"("seed":2147483648)"), 422, "VALIDATION_ERROR", "args.seed");
  expect_error(gen(R"("seed":-2147483649)"), 422, "VALIDATION_ERROR", "int32");
  expect_error(gen(R"("seed":99999999999999999999999)"), 422, "VALIDATION_ERROR", "args.seed");
  expect_error(gen(R"("duration":0.4)"), 422, "VALIDATION_ERROR", "args.duration");
  expect_error(gen(R"("duration":0.9)"), 422, "VALIDATION_ERROR", "0.74");  // model max 0.743 s
  expect_error(gen(R"("steps":0)"), 422, "VALIDATION_ERROR", "args.steps");
  expect_error(gen(R"("steps":201)"), 422, "VALIDATION_ERROR", "1 and 200");
  expect_error(gen(R"("format":"mp3")"), 422, "VALIDATION_ERROR", "args.format");
  expect_error(server.generate(R"({"args":{"prompt":""}})"), 422, "VALIDATION_ERROR", "args.prompt");
  expect_error(server.generate(R"({"args":{"prompt":" \t\n　"}})"), 422, "VALIDATION_ERROR", "args.prompt");
  // Integral floats are integers; the bounds are inclusive.
  auto edge = gen(R"("seed":-2147483648.0,"n":1,"cfg":10,"steps":1,"duration":0.5)");
  ASSERT_TRUE(edge);
  EXPECT_EQ(edge->status, 200) << edge->body;
}

TEST(Errors, ChecksRunInContractOrder) {
  TestServer server({.configure = [](ServerConfig& c) { c.rate_limit_requests = 3; }});
  // 413 before 401 (tested above); 401 before 400: bad JSON without a key.
  expect_error(server.generate_with_key("", "{oops"), 401, "UNAUTHORIZED");
  // 401 before 415.
  auto c = server.client();
  expect_error(c->Post("/v1/audio/sound_effect_generate", "{}", "text/plain"), 401, "UNAUTHORIZED");
  // 415 before 400, 400 before 422 (unknown field and an out-of-range value together).
  httplib::Headers auth = {{"Authorization", "Bearer " + server.key()}};
  expect_error(c->Post("/v1/audio/sound_effect_generate", auth, "{oops", "text/plain"), 415,
               "UNSUPPORTED_MEDIA_TYPE");
  expect_error(server.generate(R"({"args":{"prompt":"x","cfg":12,"bogus":1}})"), 400, "BAD_REQUEST");
  expect_error(server.generate(R"({"args":{"prompt":"x","cfg":12,"seed":"s"}})"), 400, "BAD_REQUEST");
  // 429 before 400: the 4th request of this key in the window is refused unparsed.
  auto limited = server.generate("{oops");
  expect_error(limited, 429, "RATE_LIMITED");
}

}  // namespace
}  // namespace foley::server::testing
