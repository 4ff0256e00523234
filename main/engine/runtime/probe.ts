// Probes which onnxruntime execution providers work on this machine by running a tiny Add graph on each.
import * as ort from 'onnxruntime-node';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../../contract/names';
import { encodeModel } from '../onnx/proto';
import { cudaHint, nvidiaGpuPresent } from './nvidia';

export interface ProbeResult {
  ep: ExecutionProvider;
  ok: boolean;
  /** Why the EP is unavailable, in ORT's words. */
  reason?: string;
  /** What the user can do to make an unavailable EP work here. */
  hint?: string;
  ms: number;
}

/** y = x + x over a [2, 3] float tensor: small enough for every EP, checked against the expected sum. */
export function tinyAddModel(): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsets: [{ domain: '', version: 18 }],
    producerName: 'hps-studio',
    producerVersion: '0',
    graph: {
      name: 'probe',
      nodes: [{ opType: 'Add', inputs: ['x', 'x'], outputs: ['y'] }],
      inputs: [{ name: 'x', dataType: 'float', shape: [2, 3] }],
      outputs: [{ name: 'y', dataType: 'float', shape: [2, 3] }],
      initializers: [],
    },
  }).toBytes();
}

export async function probeExecutionProvider(ep: ExecutionProvider): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const session = await ort.InferenceSession.create(tinyAddModel(), { executionProviders: [ep] });
    try {
      const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
      const { y } = await session.run({ x: new ort.Tensor('float32', x, [2, 3]) });
      const got = y?.data as Float32Array | undefined;
      const wrong = !got || got.some((v, i) => v !== 2 * x[i]!);
      return wrong
        ? { ep, ok: false, reason: 'ran but returned a wrong result', ms: elapsed() }
        : { ep, ok: true, ms: elapsed() };
    } finally {
      await session.release();
    }
  } catch (err) {
    return { ep, ok: false, reason: firstLine(err), ms: elapsed() };
  }
}

export async function probeExecutionProviders(
  eps: readonly ExecutionProvider[] = EXECUTION_PROVIDERS,
  nvidiaGpu: () => boolean = nvidiaGpuPresent,
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const ep of eps) {
    const result = await probeExecutionProvider(ep);
    if (ep === 'cuda' && !result.ok && nvidiaGpu()) result.hint = cudaHint();
    results.push(result);
  }
  return results;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.trim();
}
