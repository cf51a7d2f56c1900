// Scheduling: bounded queue (503 QUEUE_FULL), parallel clients, cancellation on disconnect,
// graceful shutdown.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <future>

#include "audio_check.h"
#include "test_server.h"

namespace foley::server::testing {
namespace {

std::string request_text(const std::string& key, const std::string& body) {
  return "POST /v1/audio/sound_effect_generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Authorization: Bearer " + key + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// Waits until `predicate` holds (polling), up to `timeout`.
bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

TEST(Queue, ParallelClientsAgainstSmallQueueGetOnly200Or503) {
  TestServer server({.configure = [](ServerConfig& c) {
    c.queue_capacity_clips = 2;
    c.max_batch_clips = 2;
    c.rate_limit_requests = 1000;
  }});
  const int clients = 16;
  std::vector<std::future<httplib::Result>> results;
  for (int i = 0; i < clients; ++i) {
    results.push_back(std::async(std::launch::async, [&server, i] {
      return server.generate(R"({"args":{"prompt":"glass breaking","duration":0.5,"seed":)" +
                             std::to_string(i) + "}}");
    }));
  }
  int ok = 0, full = 0;
  for (auto& f : results) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(90)), std::future_status::ready) << "a client hung";
    auto res = f.get();
    ASSERT_TRUE(res) << "no response";
    if (res->status == 200) {
      ++ok;
      WavInfo wav = parse_wav(res->body);
      ASSERT_TRUE(wav.valid) << wav.error;
      EXPECT_EQ(wav.frames, 24000u);
    } else {
      ASSERT_EQ(res->status, 503) << res->body;
      ++full;
      auto body = nlohmann::json::parse(res->body);
      EXPECT_EQ(body["code"], "QUEUE_FULL");
      EXPECT_GE(std::stoi(res->get_header_value("Retry-After")), 1);
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(full, 0) << "16 clients against a 2-clip queue should overflow it";
  EXPECT_EQ(ok + full, clients);
}

TEST(Queue, RequestLargerThanCapacityIsRefusedWith503) {
  TestServer server({.configure = [](ServerConfig& c) { c.queue_capacity_clips = 2; }});
  auto res = server.generate(R"({"args":{"prompt":"x","duration":0.5,"n":3}})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("QUEUE_FULL"), std::string::npos);
  EXPECT_TRUE(res->has_header("Retry-After"));
}

TEST(Queue, ClientDisconnectFreesItsQueueSlot) {
  TestServer server({.configure = [](ServerConfig& c) {
    c.queue_capacity_clips = 1;
    c.max_batch_clips = 1;
    c.rate_limit_requests = 1000;
  }});
  auto& scheduler = *server.app().generation().find("");
  // A keeps the engine busy (many steps), B waits in the single queue slot.
  const std::string slow = R"({"args":{"prompt":"long rumble","duration":0.74,"steps":200,"seed":1}})";
  auto a = std::async(std::launch::async, [&] { return server.generate(slow); });
  ASSERT_TRUE(eventually([&] { return scheduler.stats().running_clips == 1; }, std::chrono::seconds(10)));
  int b = raw_send(server.port(), request_text(server.key(), slow));
  ASSERT_TRUE(eventually([&] { return scheduler.stats().queued_clips == 1; }, std::chrono::seconds(10)));
  // The queue is full: C is refused.
  auto c = server.generate(R"({"args":{"prompt":"x","duration":0.5}})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 503);
  // B hangs up: its slot frees while A still runs.
  close(b);
  EXPECT_TRUE(eventually([&] { return scheduler.stats().queued_clips == 0; }, std::chrono::seconds(5)));
  EXPECT_EQ(scheduler.stats().running_clips, 1) << "A should still be running";
  auto d = std::async(std::launch::async, [&] {
    return server.generate(R"({"args":{"prompt":"x","duration":0.5,"steps":1}})");
  });
  auto a_res = a.get();
  ASSERT_TRUE(a_res);
  EXPECT_EQ(a_res->status, 200);
  auto d_res = d.get();
  ASSERT_TRUE(d_res);
  EXPECT_EQ(d_res->status, 200) << d_res->body;
  EXPECT_EQ(scheduler.stats().cancelled_jobs, 1u);
  EXPECT_EQ(scheduler.stats().clips_generated, 2u);  // A and D; B never ran
}

TEST(Queue, ClientDisconnectCancelsRunningWork) {
  TestServer server({.configure = [](ServerConfig& c) { c.max_batch_clips = 1; }});
  auto& scheduler = *server.app().generation().find("");
  const std::string slow = R"({"args":{"prompt":"long rumble","duration":0.74,"steps":200,"seed":1}})";
  int fd = raw_send(server.port(), request_text(server.key(), slow));
  ASSERT_TRUE(eventually([&] { return scheduler.stats().running_clips == 1; }, std::chrono::seconds(10)));
  auto started = std::chrono::steady_clock::now();
  close(fd);
  // The engine polls should_cancel between steps: the batch stops long before 200 steps.
  EXPECT_TRUE(eventually([&] { return scheduler.stats().running_clips == 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(scheduler.stats().clips_generated, 0u);
  EXPECT_EQ(scheduler.stats().cancelled_jobs, 1u);
  std::printf("running work dropped %.0f ms after the disconnect\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
  // The server keeps serving.
  auto res = server.generate(R"({"args":{"prompt":"x","duration":0.5,"steps":1}})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(Queue, VariantsAndRequestsShareBatches) {
  TestServer server({.configure = [](ServerConfig& c) {
    c.max_batch_clips = 4;
    c.queue_capacity_clips = 16;
  }});
  auto& scheduler = *server.app().generation().find("");
  // Submit directly (the C++ generation API), several jobs before the thread picks them up.
  std::vector<std::shared_ptr<GenerationJob>> jobs;
  for (int j = 0; j < 3; ++j) {
    std::vector<ClipRequest> clips(2);
    for (int i = 0; i < 2; ++i) {
      clips[i].prompt = "wind";
      clips[i].seed = j * 10 + i;
      clips[i].duration_s = 0.5;
    }
    jobs.push_back(scheduler.submit(clips));
  }
  for (auto& job : jobs) {
    job->wait();
    ASSERT_EQ(job->state(), GenerationJob::State::kDone) << job->error();
    ASSERT_EQ(job->clips().size(), 2u);
  }
  EXPECT_EQ(scheduler.stats().clips_generated, 6u);
  EXPECT_LT(scheduler.stats().batches, 6u) << "clips of different requests should share batches";
  // And batching does not change the audio: job 2's first clip equals a lone generation.
  ClipRequest lone;
  lone.prompt = "wind";
  lone.seed = 20;
  lone.duration_s = 0.5;
  auto alone = scheduler.generate({lone});
  EXPECT_EQ(alone[0].pcm, jobs[2]->clips()[0].pcm);
}

TEST(Queue, GracefulShutdownFinishesInFlightWorkThenRefuses) {
  TestServer server({.configure = [](ServerConfig& c) { c.max_batch_clips = 1; }});
  auto& scheduler = *server.app().generation().find("");
  auto inflight = std::async(std::launch::async, [&] {
    return server.generate(R"({"args":{"prompt":"engine idling","duration":0.5,"steps":20}})");
  });
  ASSERT_TRUE(eventually([&] { return scheduler.stats().running_clips == 1; }, std::chrono::seconds(10)));
  std::thread stopper([&] { server.stop(); });
  auto res = inflight.get();
  stopper.join();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(parse_wav(res->body).valid);
  // After shutdown the scheduler refuses new work cleanly.
  EXPECT_THROW(scheduler.submit({ClipRequest{}}), QueueFullError);
}

}  // namespace
}  // namespace foley::server::testing
