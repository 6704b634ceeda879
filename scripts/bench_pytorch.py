#!/usr/bin/env python3
"""PyTorch reference for `npm run bench -- --pytorch`: times the original's own network on the same synthetic batch
shape, so both engines are measured side by side on one machine (--device cuda: on the GPU, cuDNN benchmark on as
the original's config).

The networks are hysts/pytorch_image_classification's model classes, copied unchanged (MIT licence) into
scripts/pytorch_image_classification/models/ from commit 993089a3a08b1955914641fa6e88b5ecbbf638af
(`models/cifar/*.py`, `models/functions/`, `models/initializer.py`). `--config JSON` is our resolved config (the
original's keys: model.type, model.name, model.init_mode, model.<name>.*, dataset.n_channels / image_size /
n_classes, train.base_lr / momentum / nesterov / weight_decay); the network is built as the original's
`create_model` builds it (`models.<type>.<name>.Network(config)`) and trained with `torch.optim.SGD` as its
`create_optimizer` makes it for `optimizer: sgd`.

Needs PyTorch (Debian: `apt-get install python3-torch`). With --serve it prints one JSON line (engine, params) after
warm-up and then answers, one JSON line each:
  "train N" / "eval N"  images/s of N steps, and the peak RSS so far;
  "memory"              peak bytes of c10's allocator during one training step (profile_memory=True), the
                        bytes live before it (parameters, their gradients, optimizer state, buffers, the batch)
                        plus the highest running sum of the step's allocations and frees;
  "quit".
Without --serve it times --steps / --eval-steps once and prints one JSON line.
"""
import argparse
import json
import resource
import sys
import time

import torch
import torch.nn.functional as F

from original_models import build, namespace


def live_bytes(tensors):
    seen, total = set(), 0
    for t in tensors:
        if t is None or not torch.is_tensor(t):
            continue
        s = t.storage()
        if s.data_ptr() not in seen:
            seen.add(s.data_ptr())
            total += s.nbytes()
    return total


def peak_step_bytes(model, opt, x, y, train_step):
    """Peak allocator bytes (on x's device) during one training step: those live before it plus the step's highest
    running sum of allocations and frees."""
    before = [*model.parameters(), *(p.grad for p in model.parameters()), *model.buffers(), x, y]
    before += [v for s in opt.state.values() for v in s.values()]
    with torch.autograd.profiler.profile(profile_memory=True) as prof:
        train_step()
    kinds = torch._C._autograd.DeviceType
    on = kinds.CUDA if x.is_cuda else kinds.CPU
    running = peak = 0
    for e in prof.kineto_results.events():
        if e.name() == '[memory]' and e.device_type() == on:
            running += e.nbytes()
            peak = max(peak, running)
    return live_bytes(before) + peak


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--config', required=True, help='our resolved config as JSON (the original\'s keys)')
    p.add_argument('--device', default='cpu', help="'cpu' or a CUDA device ('cuda', 'cuda:0')")
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--eval-steps', type=int, default=10)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--serve', action='store_true', help='answer "train N" / "eval N" / "memory" lines on stdin')
    a = p.parse_args()
    cfg = namespace(json.loads(a.config))
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    device = torch.device(a.device)
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = True
    model = build(cfg).to(device)
    t = cfg.train
    opt = torch.optim.SGD(model.parameters(), lr=t.base_lr, momentum=t.momentum, nesterov=t.nesterov,
                          weight_decay=t.weight_decay)
    d = cfg.dataset
    x = torch.randn(a.batch_size, d.n_channels, d.image_size, d.image_size).to(device)
    y = torch.randint(0, d.n_classes, (a.batch_size,)).to(device)

    def train_step():
        # As the original's train(): forward, loss, zero_grad, backward, step, loss read back.
        model.train()
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    def eval_step():
        # As the original's validate(): logits, loss and top-1/top-5 counts, read back to Python.
        model.eval()
        with torch.no_grad():
            out = model(x)
            loss = F.cross_entropy(out, y)
            top5 = out.topk(5, 1).indices.eq(y.view(-1, 1))
            return loss.item(), top5[:, :1].sum().item(), top5.sum().item()

    def timed(step, n):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        return round(n * a.batch_size / (time.perf_counter() - t0), 1)

    def rss_mb():
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    for _ in range(a.warmup):
        train_step()
        eval_step()
    engine = f'pytorch {torch.__version__}' + (f' on {torch.cuda.get_device_name(device)}' if device.type == 'cuda' else '')
    params = sum(t.numel() for t in model.parameters())
    if a.serve:
        print(json.dumps({'engine': engine, 'params': params, 'ready': True}), flush=True)
        for line in sys.stdin:
            cmd = line.split()
            if not cmd or cmd[0] == 'quit':
                break
            if cmd[0] == 'memory':
                reply = {'peak_bytes': peak_step_bytes(model, opt, x, y, train_step)}
            else:
                reply = {'images_per_sec': timed(train_step if cmd[0] == 'train' else eval_step, int(cmd[1]))}
            print(json.dumps({**reply, 'peak_rss_mb': rss_mb()}), flush=True)
        return

    train_ips = timed(train_step, a.steps)
    eval_ips = timed(eval_step, a.eval_steps)
    print(json.dumps({
        'engine': engine, 'params': params, 'threads': a.threads, 'batch_size': a.batch_size,
        'train_images_per_sec': train_ips, 'eval_images_per_sec': eval_ips,
        'peak_bytes': peak_step_bytes(model, opt, x, y, train_step) if device.type == 'cpu' else None,
        'peak_rss_mb': rss_mb(),
    }))


if __name__ == '__main__':
    main()
