// `npx tsx bench/score/export-graph.ts OUT_DIR`: writes our lowered ViT-L/14 and ViT-H/14 image towers as
// graph-only ONNX files (vitl.onnx, vith.onnx) whose weights point into a <name>.onnx.data file that
// compare-export.py fills from a PyTorch reference's state dict (same names), so both run the same weights.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lowerGraph } from '../../main/engine/onnx/lower';
import { encodeModel, type TensorProto } from '../../main/engine/onnx/proto';
import { ClipModel } from '../../main/models/clip';
import { randomClip, VIT_H_14, VIT_L_14 } from './models';

const outDir = process.argv[2];
if (!outDir) throw new Error('usage: export-graph.ts OUT_DIR');
await mkdir(outDir, { recursive: true });
const towers = [
  { shape: VIT_L_14, file: 'vitl', options: { activation: 'quick_gelu', heads: { convention: 'openai' } } },
  { shape: VIT_H_14, file: 'vith', options: { activation: 'gelu', heads: { convention: 'open_clip' } } },
] as const;
for (const { shape, file, options } of towers) {
  const model = ClipModel.fromTensors(randomClip(shape), options);
  const lowered = lowerGraph(await model.buildGraph('vision', 'f32'), {
    ep: 'cpu',
    precision: 'fp32',
    inlineLimitBytes: 0,
  });
  let offset = 0;
  const external: TensorProto[] = lowered.external.map((t) => {
    const length = t.dims.reduce((a, b) => a * b, 1) * 4;
    const proto = {
      name: t.name,
      dataType: t.dataType,
      dims: t.dims,
      external: { location: `${file}.onnx.data`, offset, length },
    };
    offset = Math.ceil((offset + length) / 4096) * 4096;
    return proto;
  });
  const graph = { ...lowered.model.graph, initializers: [...lowered.model.graph.initializers, ...external] };
  await writeFile(path.join(outDir, `${file}.onnx`), encodeModel({ ...lowered.model, graph }).toBytes());
  console.log(`${file}.onnx: ${external.length} weights, ${(offset / 2 ** 30).toFixed(2)} GiB to fill`);
}
