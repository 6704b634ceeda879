#!/usr/bin/env python3
"""PyTorch reference for `npm run bench -- --pytorch`: times the same ResNet-preact (CIFAR type,
arXiv 1603.05027, basic blocks, as hysts/pytorch_image_classification builds it) or WRN (--model wrn,
arXiv 1605.07146, without dropout) on the same synthetic batch shape, so both engines are measured
side by side on one machine (--device cuda: on the GPU, cuDNN benchmark on as the original's config).

Needs PyTorch (Debian: `apt-get install python3-torch`). Prints one JSON line with the same keys as
the TypeScript bench: train_images_per_sec, eval_images_per_sec, peak_rss_mb, threads, ... With
--serve it stays up and times "train N" / "eval N" on request, so the two engines can be measured in
alternating rounds on a shared machine.
"""
import argparse
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride, preact):
        super().__init__()
        self.preact = preact
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, 0, bias=False) if cin != cout else None

    def forward(self, x):
        if self.preact:
            x = F.relu(self.bn1(x))
            y = self.conv1(x)
        else:
            y = self.conv1(F.relu(self.bn1(x)))
        y = self.conv2(F.relu(self.bn2(y)))
        return y + (self.shortcut(x) if self.shortcut is not None else x)


class ResNetPreact(nn.Module):
    """ResNet-preact (widen=1) or, with wrn=True, WRN-depth-widen: (depth - 4) / 6 pre-activation blocks per
    stage on widen x (c, 2c, 4c) channels."""

    def __init__(self, depth, c, in_channels, n_classes, widen=1, wrn=False):
        super().__init__()
        n = (depth - 4) // 6 if wrn else (depth - 2) // 6
        chans = [c * widen, 2 * c * widen, 4 * c * widen]
        self.conv = nn.Conv2d(in_channels, c, 3, 1, 1, bias=False)
        layers, cin = [], c
        for s, cout in enumerate(chans):
            for b in range(n):
                layers.append(Block(cin if b == 0 else cout, cout, 2 if (b == 0 and s > 0) else 1, b == 0 or wrn))
            cin = cout
        self.blocks = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(chans[2])
        self.fc = nn.Linear(chans[2], n_classes)

    def forward(self, x):
        x = self.blocks(self.conv(x))
        x = F.adaptive_avg_pool2d(F.relu(self.bn(x)), 1).flatten(1)
        return self.fc(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--model', choices=['resnet_preact', 'wrn'], default='resnet_preact')
    p.add_argument('--widening-factor', type=int, default=1, help='WRN width multiplier k')
    p.add_argument('--device', default='cpu', help="'cpu' or a CUDA device ('cuda', 'cuda:0')")
    p.add_argument('--depth', type=int, default=20)
    p.add_argument('--channels', type=int, default=16)
    p.add_argument('--image-size', type=int, default=32)
    p.add_argument('--in-channels', type=int, default=3)
    p.add_argument('--classes', type=int, default=10)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--eval-steps', type=int, default=10)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--serve', action='store_true',
                   help='after warm-up, answer "train N" / "eval N" lines on stdin with one JSON line each (images/s), '
                        'so that a caller can interleave its own timings with these; "quit" ends')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    device = torch.device(a.device)
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = True
    model = ResNetPreact(a.depth, a.channels, a.in_channels, a.classes, a.widening_factor, a.model == 'wrn').to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x = torch.randn(a.batch_size, a.in_channels, a.image_size, a.image_size).to(device)
    y = torch.randint(0, a.classes, (a.batch_size,)).to(device)

    def train_step():
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
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

    for _ in range(a.warmup):
        train_step()
        eval_step()
    engine = f'pytorch {torch.__version__}' + (f' on {torch.cuda.get_device_name(device)}' if device.type == 'cuda' else '')
    if a.serve:
        print(json.dumps({'engine': engine, 'ready': True}), flush=True)
        for line in sys.stdin:
            cmd = line.split()
            if not cmd or cmd[0] == 'quit':
                break
            step = train_step if cmd[0] == 'train' else eval_step
            print(json.dumps({'images_per_sec': timed(step, int(cmd[1])),
                              'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}), flush=True)
        return

    train_ips = timed(train_step, a.steps)
    eval_ips = timed(eval_step, a.eval_steps)
    print(json.dumps({
        'engine': engine,
        'params': sum(t.numel() for t in model.parameters()),
        'threads': a.threads,
        'batch_size': a.batch_size,
        'train_images_per_sec': train_ips,
        'eval_images_per_sec': eval_ips,
        'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == '__main__':
    main()
