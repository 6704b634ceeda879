#!/usr/bin/env python3
"""PyTorch's own gradient exchange for `npm run bench -- --allreduce N`: DistributedDataParallel (Gloo, CPU,
bucket_cap_mb 25, N processes on this machine) on parameters of the given sizes, as the TypeScript bench times ours
on the same sizes (runtime/dist/bench.ts).

Each step runs a backward pass whose gradients are trivial (loss = sum of x * p, so every gradient is x), once under
DDP (which all-reduces the buckets, overlapped with the backward pass, and averages) and once without DDP on the same
module; the exchange is the difference of the medians (what DDP leaves exposed after overlapping its all-reduces
with the backward pass). Then, without DDP, c10d's bucketed all-reduce after the backward pass, as ours works
(`bucketed_ms_median`). Rank 0 prints one JSON line: {"world_size", "elements", "ms_median", "step_ms_median",
"local_ms_median", "bucketed_ms_median", "iters"}.

    /usr/bin/python3 scripts/bench_ddp.py --nproc 2 --sizes 432,16,16,... --iters 10 --port 29511
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP


class Params(torch.nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.ps = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(n)) for n in sizes])

    def forward(self, x):
        return sum((p * x).sum() for p in self.ps)


def timed(module, x, iters, barrier):
    times = []
    for i in range(iters + 2):
        module.zero_grad(set_to_none=False)
        loss = module(x)
        barrier()
        t0 = time.perf_counter()
        loss.backward()
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bucketed(sizes, world, iters, rank):
    """c10d from Python without DDP, as our exchange does it after the backward pass: gradients divided into
    persistent 25 MB buckets, every bucket's all_reduce started, then waited for; median ms."""
    grads = [torch.full((n,), float(rank + 1)) for n in sizes]
    groups, cur, nbytes = [], [], 0
    for i, n in enumerate(sizes):
        if cur and nbytes + 4 * n > 25 * 1024 * 1024:
            groups.append(cur)
            cur, nbytes = [], 0
        cur.append(i)
        nbytes += 4 * n
    groups.append(cur)
    buckets = [torch.empty(sum(sizes[i] for i in g)) for g in groups]
    divisor = torch.tensor(float(world))
    times = []
    for it in range(iters + 2):
        dist.barrier()
        t0 = time.perf_counter()
        works = []
        for g, b in zip(groups, buckets):
            off = 0
            for i in g:
                torch.div(grads[i], divisor, out=b[off:off + sizes[i]])
                off += sizes[i]
            works.append(dist.all_reduce(b, async_op=True))
        for w in works:
            w.wait()
        if it >= 2:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def worker(rank, args, sizes):
    torch.set_num_threads(args.threads)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(args.port)
    dist.init_process_group("gloo", rank=rank, world_size=args.nproc)
    x = torch.tensor(float(rank + 1))
    local = Params(sizes)
    local_ms = timed(local, x, args.iters, dist.barrier)
    ddp = DDP(Params(sizes), bucket_cap_mb=25)
    step_ms = timed(ddp, x, args.iters, dist.barrier)
    bucketed_ms = bucketed(sizes, args.nproc, args.iters, rank)
    want = (args.nproc + 1) / 2
    got = ddp.module.ps[-1].grad[0].item()
    if abs(got - want) > 1e-6:
        raise SystemExit(f"DDP gave {got}, expected {want}")
    if rank == 0:
        print(json.dumps({
            "world_size": args.nproc, "elements": sum(sizes), "iters": args.iters,
            "ms_median": step_ms - local_ms, "step_ms_median": step_ms, "local_ms_median": local_ms,
            "bucketed_ms_median": bucketed_ms,
        }), flush=True)
    # Leave without tearing DDP down: libtorch 1.13's ~Reducer -> ~ProcessGroupGloo can deadlock on the GIL
    # (a rank then spins forever after its work is done). Both ranks pass the barrier first, so nothing is lost.
    dist.barrier()
    sys.stdout.flush()
    os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nproc", type=int, default=2)
    ap.add_argument("--sizes", required=True, help="comma-separated parameter sizes")
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--port", type=int, default=29511)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    mp.spawn(worker, args=(args, sizes), nprocs=args.nproc, join=True)


if __name__ == "__main__":
    main()
