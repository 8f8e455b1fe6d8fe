#!/usr/bin/python3
"""make_optim_ref.py - reference numbers for tests/test_mlp.c, from PyTorch.

A tiny fixed problem: nn.Sequential(Linear(3,4), LeakyReLU, Linear(4,2),
LeakyReLU) (the article's shape: activation also on the logits), fixed weights
and a fixed 3-row batch. For each of SGD, Adam and RMSprop (torch defaults;
lr 0.1 for SGD, 0.01 for the others) it takes 3 steps on that batch and
records the loss and gradients before, and the parameters after, every step.

Prints C initializers; the output is kept in tests/ref/optim_step.h, which
test_mlp.c #includes, so the test suite runs without torch:

    /usr/bin/python3 tests/ref/make_optim_ref.py > tests/ref/optim_step.h
"""
import math
import torch

torch.set_default_dtype(torch.float32)
N_IN, N_HID, N_OUT, ROWS, STEPS = 3, 4, 2, 3, 3
LR = {"sgd": 0.1, "adam": 0.01, "rmsprop": 0.01}


def model_with_fixed_weights():
    net = torch.nn.Sequential(torch.nn.Linear(N_IN, N_HID), torch.nn.LeakyReLU(),
                              torch.nn.Linear(N_HID, N_OUT), torch.nn.LeakyReLU())
    k = 0
    with torch.no_grad():
        for p in net.parameters():          # 0.weight, 0.bias, 2.weight, 2.bias: mpihpo's layout
            flat = p.view(-1)
            for j in range(flat.numel()):
                flat[j] = 0.6 * math.sin(0.7 * k + 0.3)
                k += 1
    return net


def flat(ts):
    return torch.cat([t.detach().reshape(-1) for t in ts])


def c_array(name, values):
    body = ", ".join("%.9ef" % float(v) for v in values)
    return "static const float %s[%d] = { %s };" % (name, len(values), body)


x = torch.tensor([[math.cos(1.3 * r + 0.4 * i) * (1.5 if i == 1 else 1.0)
                   for i in range(N_IN)] for r in range(ROWS)], dtype=torch.float32)
y = torch.tensor([1, 0, 1], dtype=torch.int64)

print("/* optim_step.h - written by tests/ref/make_optim_ref.py with torch %s; do not edit. */"
      % torch.__version__)
print("#define REF_N_IN %d\n#define REF_N_HID %d\n#define REF_N_OUT %d\n#define REF_ROWS %d\n"
      "#define REF_STEPS %d" % (N_IN, N_HID, N_OUT, ROWS, STEPS))
net = model_with_fixed_weights()
print("#define REF_NP %d" % sum(p.numel() for p in net.parameters()))
print(c_array("ref_x", x.reshape(-1)))
print("static const int32_t ref_y[%d] = { %s };" % (ROWS, ", ".join(str(int(v)) for v in y)))
print(c_array("ref_params0", flat(net.parameters())))

OPTIMS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop}
for name, cls in OPTIMS.items():
    net = model_with_fixed_weights()
    opt = cls(net.parameters(), lr=LR[name])   # every other argument at its default
    print("#define REF_LR_%s %r" % (name.upper(), LR[name]))
    losses, grads, params = [], [], []
    for step in range(STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        losses.append(loss.item())
        grads.extend(flat(p.grad for p in net.parameters()).tolist())
        opt.step()
        params.extend(flat(net.parameters()).tolist())
    print("static const double ref_%s_loss[%d] = { %s };"
          % (name, STEPS, ", ".join("%.17g" % v for v in losses)))
    print(c_array("ref_%s_grads" % name, grads) + "   /* (STEPS, NP) before each step */")
    print(c_array("ref_%s_params" % name, params) + "  /* (STEPS, NP) after each step */")
