#!/usr/bin/env python3
"""PyTorch's own training step, for the step-equivalence tests (test/step/pytorch.test.ts).

Reads a JSON request (argv[1]): our resolved config's `model` and `dataset` sections, a batch, the
state before the step (every parameter, BN buffer and optimizer state tensor, in TensorFlow.js layout: convolution
weights HWIO, linear weights [in, out], images NHWC) and the optimizer settings. Builds the original's own network
(hysts/pytorch_image_classification, models/cifar/*.py, copied into scripts/pytorch_image_classification/; see
original_models.py), whose parameter names are ours, loads the state, takes ONE
training step (model.train(), mean cross-entropy, backward, optimizer.step()) and writes the state after the step
in the same layout to argv[2] as JSON.

Optimizers: torch.optim.SGD (momentum, Nesterov, coupled weight decay), torch.optim.Adam (AMSGrad too); AdaBound,
AdaBoundW (Luo et al., ICLR 2019, arXiv 1902.09843) and LARS (You et al., arXiv 1708.03888) as written in their
papers, in the form the original framework uses them (see the functions below).

Tensors travel as base64 of little-endian float32. Needs PyTorch (Debian: apt-get install python3-torch).
"""
import base64
import json
import math
import sys

import torch
import torch.nn.functional as F

from original_models import build, namespace


# ---------- optimizers the PyTorch library lacks, as their papers write them ----------

class AdaBound(torch.optim.Optimizer):
    """AdaBound / AdaBoundW (Luo et al., arXiv 1902.09843, Algorithm 2): Adam whose per-element step size
    lr_t = α·√(1−β2^t)/(1−β1^t) / (√v_t + eps) is clipped to [η_l(t), η_u(t)] with
    η_l = final_lr·(1 − 1/(γt + 1)), η_u = final_lr·(1 + 1/(γt)), final_lr scaled by lr/base_lr; the update is
    lr_t·m_t. Weight decay: L2 added to the gradient (AdaBound) or decoupled, w ← w − lr_t·m_t − wd·w (AdaBoundW, as
    the authors' code, github.com/Luolc/AdaBound)."""

    def __init__(self, params, lr, betas, final_lr, gamma, base_lr, weight_decay, decoupled, eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, final_lr=final_lr, gamma=gamma, weight_decay=weight_decay, eps=eps))
        self.base_lr = base_lr
        self.decoupled = decoupled

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad
                wd = group['weight_decay']
                if wd != 0 and not self.decoupled:
                    grad = grad.add(p, alpha=wd)
                state = self.state[p]
                state['step'] += 1  # the state holds the steps before this one
                t = state['step']
                b1, b2 = group['betas']
                state['exp_avg'].mul_(b1).add_(grad, alpha=1 - b1)
                state['exp_avg_sq'].mul_(b2).addcmul_(grad, grad, value=1 - b2)
                step_size = group['lr'] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                final_lr = group['final_lr'] * group['lr'] / self.base_lr
                lower = final_lr * (1 - 1 / (group['gamma'] * t + 1))
                upper = final_lr * (1 + 1 / (group['gamma'] * t))
                size = torch.full_like(p, step_size).div_(state['exp_avg_sq'].sqrt().add_(group['eps']))
                size.clamp_(lower, upper).mul_(state['exp_avg'])
                decayed = p * wd if self.decoupled else None
                p.sub_(size)
                if decayed is not None:
                    p.sub_(decayed)


class LARS(torch.optim.Optimizer):
    """LARS (You et al., arXiv 1708.03888, Algorithm 1) with the original framework's threshold: local lr
    λ = ‖w‖ / (‖∇w‖ + eps + wd·‖w‖), or 1 where ‖w‖ < threshold; v ← m·v + lr·λ·(∇w + wd·w); w ← w − v."""

    def __init__(self, params, lr, momentum, eps, threshold):
        super().__init__(params, dict(lr=lr, momentum=momentum, eps=eps, threshold=threshold))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            wd = group['weight_decay']
            for p in group['params']:
                if p.grad is None:
                    continue
                wn = p.norm()
                ratio = wn / (p.grad.norm() + group['eps'] + wd * wn)
                local = torch.ones_like(ratio) if wn < group['threshold'] else ratio
                delta = (p.grad + wd * p) * (local * group['lr'])
                buf = self.state[p]['momentum_buffer']
                buf.mul_(group['momentum']).add_(delta)
                p.sub_(buf)


# ---------- layout and transport ----------

def decode(t):
    data = torch.frombuffer(bytearray(base64.b64decode(t['data'])), dtype=torch.float32).to(torch.get_default_dtype())
    return data.reshape(t['shape']) if t['shape'] else data.reshape(())


def encode(x):
    x = x.detach().contiguous().to(torch.float32)
    return {'shape': list(x.shape), 'data': base64.b64encode(x.numpy().tobytes()).decode('ascii')}


def to_torch(name, t, module_param):
    """TensorFlow.js layout → PyTorch layout (HWIO → OIHW, [in, out] → [out, in])."""
    if t.dim() == 4:
        t = t.permute(3, 2, 0, 1)
    elif t.dim() == 2:
        t = t.t()
    if tuple(t.shape) != tuple(module_param.shape):
        raise SystemExit(f'step_pytorch: {name} has shape {list(t.shape)} after the layout change, PyTorch wants {list(module_param.shape)}')
    return t.contiguous()


def to_tfjs(t):
    if t.dim() == 4:
        return t.permute(2, 3, 1, 0)
    if t.dim() == 2:
        return t.t()
    return t


def main():
    req = json.load(open(sys.argv[1]))
    torch.set_num_threads(1)
    model = build(namespace(req['config']))  # in float32: the original sizes its classifier with a float32 probe
    if '--double' in sys.argv[3:]:
        torch.set_default_dtype(torch.float64)  # the exact step, to tell float noise from a difference
        model.to(torch.float64)
    tensors = {k: decode(v) for k, v in req['tensors'].items()}
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(to_torch(name, tensors[f'params/{name}'], p))
        for name, b in buffers.items():
            if name.endswith('num_batches_tracked'):
                continue
            b.copy_(tensors[f'buffers/{name}'])
    o = req['optimizer']
    lr = req['lr']
    groups = [{'params': [p], 'weight_decay': req['weight_decay'][name]} for name, p in params.items()]
    kind = o['name']
    if kind == 'sgd':
        opt = torch.optim.SGD(groups, lr=lr, momentum=o['momentum'], nesterov=o['nesterov'])
        for name, p in params.items():
            opt.state[p]['momentum_buffer'] = to_torch(name, tensors[f'optimizer/{name}'], p).clone()
        slots = {'': 'momentum_buffer'}
    elif kind in ('adam', 'amsgrad'):
        opt = torch.optim.Adam(groups, lr=lr, betas=tuple(o['betas']), eps=1e-8, amsgrad=kind == 'amsgrad')
        slots = {'/exp_avg': 'exp_avg', '/exp_avg_sq': 'exp_avg_sq'}
        if kind == 'amsgrad':
            slots['/max_exp_avg_sq'] = 'max_exp_avg_sq'
        for name, p in params.items():
            st = opt.state[p]
            st['step'] = torch.tensor(float(tensors[f'optimizer/{name}/step']))
            for key, slot in slots.items():
                st[slot] = to_torch(name, tensors[f'optimizer/{name}{key}'], p).clone()
    elif kind in ('adabound', 'adaboundw'):
        opt = AdaBound(groups, lr=lr, betas=tuple(o['betas']), final_lr=o['final_lr'], gamma=o['gamma'], base_lr=o['base_lr'],
                       weight_decay=0, decoupled=kind == 'adaboundw')  # the groups' weight_decay wins
        slots = {'/exp_avg': 'exp_avg', '/exp_avg_sq': 'exp_avg_sq'}
        for name, p in params.items():
            st = opt.state[p]
            st['step'] = int(tensors[f'optimizer/{name}/step'])
            for key, slot in slots.items():
                st[slot] = to_torch(name, tensors[f'optimizer/{name}{key}'], p).clone()
    elif kind == 'lars':
        opt = LARS(groups, lr=lr, momentum=o['momentum'], eps=o['eps'], threshold=o['threshold'])
        slots = {'/momentum_buffer': 'momentum_buffer'}
        for name, p in params.items():
            opt.state[p]['momentum_buffer'] = to_torch(name, tensors[f'optimizer/{name}/momentum_buffer'], p).clone()
    else:
        raise SystemExit(f'step_pytorch: optimizer {kind} is not implemented here')

    x = decode(req['x']).permute(0, 3, 1, 2).contiguous()
    y = torch.tensor(req['y'], dtype=torch.long)
    model.train()
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()

    out = {}
    for name, p in params.items():
        out[f'params/{name}'] = encode(to_tfjs(p))
        st = opt.state[p]
        for key, slot in slots.items():
            out[f'optimizer/{name}{key}'] = encode(to_tfjs(st[slot]))
        if 'step' in st:
            out[f'optimizer/{name}/step'] = encode(torch.tensor(float(st['step'])))
    for name, b in buffers.items():
        if not name.endswith('num_batches_tracked'):
            out[f'buffers/{name}'] = encode(b)
    json.dump({'loss': loss.item(), 'tensors': out}, open(sys.argv[2], 'w'))


if __name__ == '__main__':
    main()
