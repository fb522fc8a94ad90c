"""PyTorch beside recforget: the same BERT4Rec (post-LN Transformer, GELU FFN, head, tied output
with bias), the same shapes and the same work as `recforget bench --json` measured, on the same
CPU cores (or, with `--device cuda`, beside recforget on wgpu: on the same GPU), in one run.
Prints each figure and the ratio recforget / PyTorch.

usage: python torch_bench.py recforget-bench.json data/ml-1m/dataset.json [--device cuda]
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

cli = argparse.ArgumentParser(description="PyTorch beside recforget's `bench --json` figures")
cli.add_argument("figures", help="the JSON that `recforget bench --json` wrote")
cli.add_argument("dataset", help="data/ml-1m/dataset.json")
cli.add_argument("--device", default="cpu", help="cpu (on recforget's thread count), or cuda")
args = cli.parse_args()
figures = json.load(open(args.figures))
dataset = json.load(open(args.dataset))
torch.manual_seed(1)
DEVICE = torch.device(args.device)
GPU = DEVICE.type == "cuda"
if not GPU:
    torch.set_num_threads(figures["threads"])
# Every tensor below, the model's parameters included, is made on DEVICE.
torch.set_default_device(DEVICE)
N, L, D, H, FF = figures["numItems"], figures["maxLen"], figures["dModel"], figures["heads"], figures["dFf"]
PAD, MASK = 0, N + 1


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(D, D) for _ in range(4))
        self.norm1, self.norm2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.w1, self.w2 = nn.Linear(D, FF), nn.Linear(FF, D)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, blocked, scale=None):
        return self.forward_rows(x, None, blocked, scale)

    def forward_rows(self, x, context, blocked, scale=None):
        """The rows `x` attending to `context` (keys and values only, untracked) and to
        themselves; the whole sequence without a context. A scale with more rows than `x`
        broadcasts (recforget's EncoderLayer::forward_rows)."""
        b, n, _ = x.shape
        split = lambda t: t.view(b, t.shape[1], H, D // H).transpose(1, 2)
        keys = lambda proj: proj(x) if context is None else torch.cat([proj(context).detach(), proj(x)], 1)
        q, k, v = split(self.q(x)), split(keys(self.k)), split(keys(self.v))
        s = q @ k.transpose(2, 3) / math.sqrt(D // H)
        s = s.masked_fill(blocked[:, None], -1e9)
        ctx = (self.drop(s.softmax(-1)) @ v).transpose(1, 2).reshape(b, n, D)
        x = self.norm1(x + self.drop(self.o(ctx)))
        a = F.gelu(self.w1(x))
        if scale is not None:
            a = a * scale
        return self.norm2(x + self.drop(self.w2(a)))


class Bert4Rec(nn.Module):
    def __init__(self):
        super().__init__()
        self.items, self.positions = nn.Embedding(N + 2, D), nn.Embedding(L, D)
        self.norm, self.drop = nn.LayerNorm(D), nn.Dropout(0.1)
        self.layers = nn.ModuleList(Layer() for _ in range(figures["layers"]))
        self.head, self.head_norm = nn.Linear(D, D), nn.LayerNorm(D)
        self.bias = nn.Parameter(torch.zeros(N))

    def embed(self, tokens):
        """Tokens trimmed of all-padding leading columns keep their positions (the last is L - 1)."""
        first = L - tokens.shape[1]
        return self.drop(self.norm(self.items(tokens) + self.positions(torch.arange(first, L))))

    def scores(self, rows):
        return self.head_norm(F.gelu(self.head(rows))) @ self.items.weight[1 : N + 1].T + self.bias

    def encode(self, tokens, start=0, hidden=None, blocked=None, scale_layer=None, scale=None):
        blocked = (tokens == PAD)[:, None, :].expand(-1, tokens.shape[1], -1) if blocked is None else blocked
        x = self.embed(tokens) if hidden is None else hidden
        for i, layer in enumerate(self.layers[start:], start):
            x = layer(x, blocked, scale if i == scale_layer else None)
        return x


def windows(count, length):
    users = dataset["users"][:count]
    out = []
    for u in users:
        seq = [i + 1 for i in u["items"][:-2]][-length:]  # training items, 1-based tokens
        out.append([PAD] * (length - len(seq)) + seq)
    return torch.tensor(out)


def trimmed(tokens):
    """Without the leading columns that are padding in every row (recforget's trim_padding)."""
    keep = (tokens != PAD).any(0).nonzero()
    return tokens[:, int(keep[0]) if len(keep) else tokens.shape[1] - 1 :]


def cloze(tokens, targets):
    """Masks exactly `targets` real positions at random (recforget's count)."""
    real = (tokens != PAD).nonzero()
    pick = real[torch.randperm(len(real))[:targets]]
    masked = tokens.clone()
    masked[pick[:, 0], pick[:, 1]] = MASK
    return masked, pick, tokens[pick[:, 0], pick[:, 1]] - 1


def peak_mib():
    """The process's peak resident memory since the last reset (Linux's VmHWM), in MiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def gpu_peak_mib():
    """On a GPU, the most device memory PyTorch's tensors held since the last reset, in MiB."""
    return torch.cuda.max_memory_allocated() / 2**20 if GPU else None


def timed(f, repeat=5):
    """The median of `repeat` runs, after one warm-up run (recforget's training step: the same),
    and the peak resident memory while they ran (reset first, as recforget's bench does), with
    the peak device memory on a GPU. Each run ends when the GPU has finished its work."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass
    if GPU:
        torch.cuda.reset_peak_memory_stats()
    f()
    times = []
    for _ in range(repeat):
        if GPU:
            torch.cuda.synchronize()
        start = time.perf_counter()
        f()
        if GPU:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2], peak_mib(), gpu_peak_mib()


model = Bert4Rec()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
tokens = trimmed(windows(figures["batch"], L))
masked, pick, labels = cloze(tokens, figures["targets"])


def train_step():
    model.train()
    hidden = model.encode(masked)
    loss = F.cross_entropy(model.scores(hidden[pick[:, 0], pick[:, 1]]), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


teacher = Bert4Rec().eval()
d_tokens = trimmed(windows(figures["distillBatch"], figures["distillWindow"]))
d_masked, d_pick, d_labels = cloze(d_tokens, max(1, int(0.2 * (d_tokens != PAD).sum())))


def distill_step():
    model.train()
    with torch.no_grad():
        target = teacher.scores(teacher.encode(d_masked)[d_pick[:, 0], d_pick[:, 1]]).softmax(-1)
    log_probs = model.scores(model.encode(d_masked)[d_pick[:, 0], d_pick[:, 1]]).log_softmax(-1)
    loss = -(target * log_probs).sum(-1).mean() + F.nll_loss(log_probs, d_labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def queries(lengths):
    """Histories of these lengths (items cycled from the data set) with [MASK] appended, cut to
    L, sorted by length as recforget batches them."""
    items = [i + 1 for u in dataset["users"] for i in u["items"]]
    rows = []
    for n in sorted(lengths):
        seq = (items[:n] + [MASK])[-L:]
        rows.append([PAD] * (L - len(seq)) + seq)
    return torch.tensor(rows)


eval_tokens = queries(figures["evalHistoryLengths"])


@torch.no_grad()
def evaluate():
    model.eval()
    for chunk in eval_tokens.split(figures["evalBatch"]):
        chunk = trimmed(chunk)
        model.scores(model.encode(chunk)[:, -1]).topk(10)


ig_tokens = queries(figures["attributionHistoryLengths"])
ig_targets = torch.randint(0, N, (len(ig_tokens),))
M = figures["attributionSteps"]


def rows_mask(chunk, rows):
    """Rows that attend to the history before [MASK] and each to itself (recforget's rows_mask)."""
    s, L = chunk.shape
    blocked = torch.ones(s, rows, L - 1 + rows, dtype=torch.bool)
    blocked[:, :, : L - 1] = (chunk[:, : L - 1] == PAD)[:, None, :]
    idx = torch.arange(rows)
    blocked[:, idx, L - 1 + idx] = False
    return blocked


def attribution():
    """Integrated gradients over every FFN neuron at [MASK], per layer, as recforget does: only
    the [MASK] row is recomputed from the layer on, its FFN activations scaled by k/M in M copies
    (each copy attends to the history as it was and to itself), gradients to the scale factors."""
    model.eval()
    chi = torch.arange(1, M + 1, dtype=torch.float32) / M
    for chunk, target in zip(ig_tokens.split(figures["attributionChunk"]), ig_targets.split(figures["attributionChunk"])):
        chunk = trimmed(chunk)
        s, L = chunk.shape
        with torch.no_grad():
            inputs, x = [], model.embed(chunk)
            pad = (chunk == PAD)[:, None, :].expand(-1, L, -1)  # L: this chunk's length
            for layer in model.layers[:-1]:  # the last layer's output is not needed
                inputs.append(x)
                x = layer(x, pad)
            inputs.append(x)
        for index in range(len(inputs)):
            steps = chi[None, :, None].expand(s, M, FF).clone().requires_grad_(True)
            layers = model.layers[index:]
            rows = layers[0].forward_rows(inputs[index][:, -1:], inputs[index][:, :-1], rows_mask(chunk, 1), steps)
            for above, layer in enumerate(layers[1:], index + 1):
                rows = layer.forward_rows(rows, inputs[above][:, :-1], rows_mask(chunk, M))
            p = model.scores(rows.reshape(s * M, D)).softmax(-1)
            p.gather(1, target.repeat_interleave(M)[:, None]).sum().backward()


ours = {
    "training step": figures["trainStepSeconds"],
    f"scoring {figures['evalUsers']} users": figures["evalSeconds"],
    f"attribution, {figures['attributionSequences']} sequences x {M} steps": figures["attributionSeconds"],
    f"distill step (batch {figures['distillBatch']})": figures["distillStepSeconds"],
}
theirs = {
    "training step": timed(train_step),
    f"scoring {figures['evalUsers']} users": timed(evaluate),
    f"attribution, {figures['attributionSequences']} sequences x {M} steps": timed(attribution, 3),
    f"distill step (batch {figures['distillBatch']})": timed(distill_step),
}
where = torch.cuda.get_device_name() if GPU else f"{figures['threads']} threads"
print(f"PyTorch {torch.__version__} on {where} and recforget ({figures['backend']}), "
      f"batch {figures['batch']} x {L}, {figures['targets']} targets, d {D}, {figures['layers']} layers, FFN {FF}, {N} items")
peaks = figures.get("peakMib", {})
our_peak = dict(zip(ours, [peaks.get(k) for k in ("train", "scoring", "attribution", "distill")]))
mib = lambda x: f"{x:.0f}" if x is not None else "–"
gpu_column = f" {'PyTorch GPU MiB':>16}" if GPU else ""
print(f"{'':44} {'recforget s':>12} {'PyTorch s':>10} {'ratio':>7}   {'peak RSS MiB: recforget':>24} {'PyTorch':>8}{gpu_column}")
for name, (seconds, peak, gpu_peak) in theirs.items():
    mine = ours[name]
    ratio = f"{mine / seconds:6.2f}x" if mine else "      –"
    gpu_cell = f" {mib(gpu_peak):>16}" if GPU else ""
    print(f"{name:44} {mine if mine else float('nan'):12.3f} {seconds:10.3f} {ratio}   {mib(our_peak.get(name)):>24} {mib(peak):>8}{gpu_cell}")
print("peak RSS: the whole process's high-water mark during the row (each runtime's libraries, data and model included)")
if GPU:
    print("PyTorch GPU MiB: the most device memory its tensors held during the row")
