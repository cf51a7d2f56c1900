#!/usr/bin/env python3
"""PyTorch side of foley_bench_nearest_upsample: the same four stages as the official decoder
runs them (nn.Upsample(nearest) then Conv1d(k = 2s, padding "same", no bias)), float32, 2 threads;
median wall ms of 20 runs after a warm-up.
Usage: OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/ops/nearest_upsample_pytorch.py"""
import statistics
import time

import torch
import torch.nn.functional as F

STAGES = ((128, 64, 8, 256), (64, 32, 8, 2048), (32, 16, 4, 16384), (16, 16, 4, 65536))  # cin, cout, stride, frames

torch.set_num_threads(2)
torch.manual_seed(0)
with torch.no_grad():
    for i, (cin, cout, s, frames) in enumerate(STAGES):
        x, w = torch.randn(1, cin, frames), torch.randn(cout, cin, 2 * s)

        def run():
            return F.conv1d(torch.nn.functional.interpolate(x, scale_factor=s, mode="nearest"), w, padding="same")

        run()
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        print(f"pytorch_upsample_then_conv/{i}  {1e3 * statistics.median(times):.2f} ms")
