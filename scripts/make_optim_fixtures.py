#!/usr/bin/env python3
"""Writes fixtures/torch_optim.json: parameters after 4 steps of each torch.optim optimiser on
a fixed sequence of gradients, and clip_grad_norm_ results.

    /usr/bin/python3 scripts/make_optim_fixtures.py
"""
import json
import torch

torch.manual_seed(0)
n = 7
p0 = torch.randn(n)
grads = [torch.randn(n) * s for s in (1.0, 3.0, 0.1, 10.0)]
configs = {
    "sgd": (torch.optim.SGD, dict(lr=0.1)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    "sgd_wd": (torch.optim.SGD, dict(lr=0.1, momentum=0.5, weight_decay=0.01)),
    "rmsprop": (torch.optim.RMSprop, dict(lr=0.01)),
    "adam": (torch.optim.Adam, dict(lr=0.01)),
    "adam_wd": (torch.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    "adamw": (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
}
out = {"p0": p0.tolist(), "grads": [g.tolist() for g in grads], "results": {}}
for name, (cls, kw) in configs.items():
    p = torch.nn.Parameter(p0.clone())
    opt = cls([p], **kw)
    traj = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        traj.append(p.detach().tolist())
    out["results"][name] = dict(kwargs=kw, trajectory=traj)
clips = []
for max_norm, g in [(1.0, grads[1]), (100.0, grads[1]), (0.5, grads[3])]:
    p = torch.nn.Parameter(torch.zeros(n))
    p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_([p], max_norm)
    clips.append(dict(max_norm=max_norm, grad=g.tolist(), total=float(total), clipped=p.grad.tolist()))
out["clip"] = clips
json.dump(out, open("fixtures/torch_optim.json", "w"))
print("wrote fixtures/torch_optim.json")
