// Engine side of the SAOS CPU benchmark: loads a model folder in the publisher's layout (the
// random-weight one from make_random_saos.py) through the public API only, generates one
// full-length clip (duration = sample_size / sample_rate) per run, and prints one JSON object
// with per-stage wall times (Engine::last_timings, median over --runs after a warm-up), process
// CPU time and peak RSS. bench/saos_full/run.sh calls it and writes the report.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "foley/engine.h"

namespace {

struct Args {
  std::string model_dir = "build-bench/saos-random";
  std::string t5_dir;  // default: <model_dir>/t5
  int runs = 3;
  int threads = 2;
  int steps = 8;
  int decode_chunk_frames = 0;  // whole clip at once, like the PyTorch reference's unchunked decode
  int decode_overlap_frames = 32;
  std::vector<double> cfgs = {1.0, 4.5};
  bool bf16 = false;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "foley_bench_saos: " << message << "\n"
            << "usage: foley_bench_saos [--model-dir DIR] [--t5-dir DIR] [--runs N] [--threads N]\n"
            << "                        [--steps N] [--decode-chunk FRAMES] [--decode-overlap FRAMES]\n"
            << "                        [--cfg A,B,...] [--bf16]\n";
  std::exit(2);
}

int parse_int(const std::string& flag, const std::string& value, int min_value) {
  try {
    std::size_t used = 0;
    const int parsed = std::stoi(value, &used);
    if (used != value.size() || parsed < min_value) throw std::invalid_argument(value);
    return parsed;
  } catch (const std::exception&) {
    usage_error(flag + " needs an integer >= " + std::to_string(min_value) + ", got '" + value + "'");
  }
}

std::vector<double> parse_cfgs(const std::string& value) {
  std::vector<double> cfgs;
  std::stringstream stream(value);
  std::string item;
  while (std::getline(stream, item, ',')) {
    try {
      cfgs.push_back(std::stod(item));
    } catch (const std::exception&) {
      usage_error("--cfg needs numbers separated by commas, got '" + value + "'");
    }
  }
  if (cfgs.empty()) usage_error("--cfg needs at least one value");
  return cfgs;
}

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--bf16") {
      args.bf16 = true;
      continue;
    }
    if (i + 1 >= argc) usage_error("missing value after " + flag);
    const std::string value = argv[++i];
    if (flag == "--model-dir") args.model_dir = value;
    else if (flag == "--t5-dir") args.t5_dir = value;
    else if (flag == "--runs") args.runs = parse_int(flag, value, 1);
    else if (flag == "--threads") args.threads = parse_int(flag, value, 0);
    else if (flag == "--steps") args.steps = parse_int(flag, value, 1);
    else if (flag == "--decode-chunk") args.decode_chunk_frames = parse_int(flag, value, 0);
    else if (flag == "--decode-overlap") args.decode_overlap_frames = parse_int(flag, value, 0);
    else if (flag == "--cfg") args.cfgs = parse_cfgs(value);
    else usage_error("unknown option " + flag);
  }
  if (args.t5_dir.empty()) args.t5_dir = args.model_dir + "/t5";
  return args;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double process_cpu_s() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// 1-minute load average, to tell a quiet machine from a shared one in the report.
double load_average() {
  double load[1] = {0.0};
  return getloadavg(load, 1) == 1 ? load[0] : -1.0;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::string json_list(const std::vector<double>& values) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << "]";
  return out.str();
}

// One configuration (cfg scale): warm-up, then `runs` timed generate() calls.
std::string bench_cfg(foley::Engine& engine, const Args& args, double cfg, double duration_s) {
  foley::ClipRequest request;
  request.prompt = "heavy rain on a tin roof with distant thunder";
  request.cfg = static_cast<float>(cfg);
  request.seed = 1234;
  request.duration_s = duration_s;
  request.steps = args.steps;
  request.sampler = foley::Sampler::kPingPong;
  engine.validate(request);

  std::map<std::string, std::vector<double>> series;
  for (int run = 0; run <= args.runs; ++run) {  // run 0 is the warm-up
    const double cpu_start = process_cpu_s();
    // Process CPU time when the last sampler step ends splits the clip's CPU time into
    // (text encoder + sampler) and (decoder + post-processing): on a shared machine CPU time
    // is a steadier measure than the wall times of last_timings().
    double cpu_after_sampler = cpu_start;
    foley::GenerateCallbacks callbacks;
    callbacks.on_step = [&cpu_after_sampler](int step, int total) {
      if (step + 1 == total) cpu_after_sampler = process_cpu_s();
    };
    const auto start = std::chrono::steady_clock::now();
    const auto clips = engine.generate(std::span<const foley::ClipRequest>(&request, 1), callbacks);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = process_cpu_s() - cpu_start;
    if (clips.size() != 1 || clips[0].pcm.empty()) throw foley::EngineError("generate() returned no audio");
    if (run == 0) continue;
    const foley::StageTimings t = engine.last_timings();
    series["text_encoder"].push_back(t.text_encoder);
    series["sampler"].push_back(t.sampler);
    series["decoder"].push_back(t.decoder);
    series["postprocess"].push_back(t.postprocess);
    series["total"].push_back(wall);
    series["total_cpu"].push_back(cpu);
    series["text_and_sampler_cpu"].push_back(cpu_after_sampler - cpu_start);
    series["decoder_and_post_cpu"].push_back(cpu - (cpu_after_sampler - cpu_start));
    std::cerr << "cfg " << cfg << " run " << run << ": total " << wall << " s (text " << t.text_encoder
              << ", sampler " << t.sampler << ", decoder " << t.decoder << ", post " << t.postprocess
              << "), cpu " << cpu << " s\n";
  }
  std::ostringstream out;
  out << "{\"cfg\": " << cfg;
  for (const auto& [name, values] : series) {
    out << ", \"" << name << "_median_s\": " << median(values) << ", \"" << name
        << "_runs_s\": " << json_list(values);
  }
  out << "}";
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  try {
    const double load_at_start = load_average();
    foley::EngineOptions options;
    options.threads = args.threads;
    options.precision = args.bf16 ? foley::Precision::kBF16 : foley::Precision::kF32;
    options.decode_chunk_frames = args.decode_chunk_frames;
    options.decode_overlap_frames = args.decode_overlap_frames;

    const auto load_start = std::chrono::steady_clock::now();
    auto engine = foley::Engine::load({args.model_dir, args.t5_dir}, options);
    const double load_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    const double rss_after_load = peak_rss_mb();
    const foley::ModelInfo& info = engine->info();
    const double duration_s = info.max_duration_s;

    std::vector<std::string> results;
    for (const double cfg : args.cfgs) results.push_back(bench_cfg(*engine, args, cfg, duration_s));

    std::cout << "{\"implementation\": \"foley engine (C++)\", \"threads\": " << args.threads
              << ", \"precision\": \"" << (args.bf16 ? "bf16" : "f32") << "\", \"steps\": " << args.steps
              << ", \"decode_chunk_frames\": " << args.decode_chunk_frames
              << ", \"decode_overlap_frames\": " << args.decode_overlap_frames
              << ", \"clip_seconds\": " << duration_s << ", \"model_sample_rate\": " << info.model_sample_rate
              << ", \"runs\": " << args.runs << ", \"load_s\": " << load_s
              << ", \"loadavg\": \"" << load_at_start << " at start, " << load_average() << " at the end\""
              << ", \"rss_after_load_mb\": " << rss_after_load << ", \"peak_rss_mb\": " << peak_rss_mb()
              << ", \"results\": [";
    for (std::size_t i = 0; i < results.size(); ++i) std::cout << (i ? ", " : "") << results[i];
    std::cout << "]}\n";
    return 0;
  } catch (const foley::EngineError& e) {
    std::cerr << "foley_bench_saos: engine error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "foley_bench_saos: " << e.what() << "\n";
    return 1;
  }
}
