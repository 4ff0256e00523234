# Our lowered CLIP image towers vs PyTorch's own ONNX export of the same towers (OpenAI model.py
# VisionTransformer, same weights), both on onnxruntime CPU, pinned to 2 cores, runs interleaved.
# Needs torch, onnx, onnxruntime, numpy. Usage, from a folder holding export-graph.ts's vitl.onnx / vith.onnx:
#   OUT=results_dir python3 compare-export.py
import os, sys, time, statistics
from collections import OrderedDict
import numpy as np, torch, torch.nn as nn, onnx, onnxruntime as ort

os.sched_setaffinity(0, {0, 1})
torch.set_num_threads(2)
# The traced export must take nn.MultiheadAttention's regular path (as torch 1.13 did), not the fused fast path.
torch.backends.mha.set_fastpath_enabled(False)
HERE = os.getcwd()
OUT = os.environ.get('OUT', '/tmp')
LOG = open(os.path.join(OUT, 'results.txt'), 'a')

def say(*a):
    s = ' '.join(str(x) for x in a)
    print(s, flush=True)
    LOG.write(s + '\n'); LOG.flush()

class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)

class Block(nn.Module):
    def __init__(self, d, h, act):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, h)
        self.ln_1 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(OrderedDict([('c_fc', nn.Linear(d, 4 * d)), ('gelu', act()), ('c_proj', nn.Linear(4 * d, d))]))
        self.ln_2 = nn.LayerNorm(d)
    def forward(self, x):
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))

class Transformer(nn.Module):
    def __init__(self, d, layers, h, act):
        super().__init__()
        self.resblocks = nn.Sequential(*[Block(d, h, act) for _ in range(layers)])
    def forward(self, x):
        return self.resblocks(x)

class VisionTransformer(nn.Module):
    def __init__(self, width, layers, heads, out, act):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 14, 14, bias=False)
        s = width ** -0.5
        self.class_embedding = nn.Parameter(s * torch.randn(width))
        self.positional_embedding = nn.Parameter(s * torch.randn(257, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads, act)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(s * torch.randn(width, out))
    def forward(self, x):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        x = torch.cat([self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype), x], dim=1)
        x = x + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x)
        x = x.permute(1, 0, 2)
        x = self.transformer(x)
        x = x.permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj

class Clip(nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.visual = VisionTransformer(**kw)
    def forward(self, x):
        return self.visual(x)

def export(model, path):
    x = torch.randn(2, 3, 224, 224)
    kw = dict(input_names=['pixels'], output_names=['image_features'], dynamic_axes={'pixels': {0: 'batch'}, 'image_features': {0: 'batch'}}, opset_version=17)
    try:
        torch.onnx.export(model, (x,), path, dynamo=False, **kw)
        return 'torchscript exporter'
    except Exception as e:
        say('legacy export failed:', repr(e)[:300])
        torch.onnx.export(model, (x,), path, dynamo=True, external_data=True, **kw)
        return 'dynamo exporter'

def fill_ours(name, model):
    m = onnx.load(os.path.join(HERE, f'{name}.onnx'), load_external_data=False)
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    ext = [(i.name, {e.key: e.value for e in i.external_data}) for i in m.graph.initializer if i.external_data]
    size = max(int(e['offset']) + int(e['length']) for _, e in ext)
    data = np.memmap(os.path.join(HERE, f'{name}.onnx.data'), dtype=np.uint8, mode='w+', shape=(size,))
    for n, e in ext:
        b = sd[n].tobytes()
        assert len(b) == int(e['length']), n
        data[int(e['offset']):int(e['offset']) + len(b)] = np.frombuffer(b, np.uint8)
    data.flush()

def session(path):
    o = ort.SessionOptions()
    o.intra_op_num_threads = 2
    o.inter_op_num_threads = 1
    return ort.InferenceSession(path, o, providers=['CPUExecutionProvider'])

def compare(name, cfg, batches, runs):
    torch.manual_seed(0)
    model = Clip(**cfg).eval()
    t = time.time(); ref_path = os.path.join(HERE, f'{name}_ref.onnx')
    how = export(model, ref_path); say(f'{name}: exported with the {how} in {time.time() - t:.0f}s')
    fill_ours(name, model)
    ours, ref = session(os.path.join(HERE, f'{name}.onnx')), session(ref_path)
    x2 = np.random.default_rng(1).standard_normal((2, 3, 224, 224), dtype=np.float32)
    a, b = ours.run(None, {'pixels': x2})[0], ref.run(None, {'pixels': x2})[0]
    with torch.no_grad():
        e = model(torch.from_numpy(x2)).numpy()
    rel = lambda p, q: float(np.linalg.norm(p - q) / np.linalg.norm(q))
    say(f'{name}: same weights, batch 2: ours vs export rel {rel(a, b):.2e}, ours vs torch eager rel {rel(a, e):.2e}, export vs eager {rel(b, e):.2e}')
    for batch in batches:
        x = np.random.default_rng(2).standard_normal((batch, 3, 224, 224), dtype=np.float32)
        ours.run(None, {'pixels': x}); ref.run(None, {'pixels': x})
        to, tr = [], []
        for _ in range(runs[batch]):
            s = time.perf_counter(); ours.run(None, {'pixels': x}); to.append(time.perf_counter() - s)
            s = time.perf_counter(); ref.run(None, {'pixels': x}); tr.append(time.perf_counter() - s)
        o, r = batch / statistics.median(to), batch / statistics.median(tr)
        say(f'{name} batch {batch}: ours {o:.2f} images/s, PyTorch export {r:.2f} images/s, ratio {o / r:.3f} (runs {runs[batch]}, medians)')

say('cpu:', open('/proc/cpuinfo').read().split('model name')[1].split('\n')[0], '| torch', torch.__version__, '| onnxruntime', ort.__version__, '| pinned to cores', sorted(os.sched_getaffinity(0)))
compare('vitl', dict(width=1024, layers=24, heads=16, out=768, act=QuickGELU), [8, 1, 32], {1: 5, 8: 3, 32: 2})
compare('vith', dict(width=1280, layers=32, heads=16, out=1024, act=nn.GELU), [8], {8: 3})
