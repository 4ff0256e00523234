// Sessions cached by (artifact hash, requested EP, precision): in memory as a reference-counted LRU, and on
// disk, where models handed over as bytes are persisted so a later start loads the file and skips building
// and serialising the graph (the artifact factory is then never called).
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionProvider } from '../../contract/names';
import type { ModelArtifact } from '../onnx/artifact';
import { createOnFirstWorkingEp, fallbackOrder } from './create';
import { EngineSession, type Precision, type SessionIdentity } from './session';

export interface SessionRequest {
  hash: string;
  /** Compute precision the artifact was lowered for (default f32). The runtime converts nothing; the key keeps
   * f16 and f32 lowerings of one graph apart. */
  precision?: Precision;
  /** The preferred EP; on failure the fallbacks are tried in order (default webgpu, then cpu). */
  ep?: ExecutionProvider;
  fallback?: readonly ExecutionProvider[];
  /** Also cache ORT's optimized graph per EP under cacheDir (see bench/engine for whether it pays). */
  optimizedModelCache?: boolean;
  /** Profile the first run to report node placement (default true). */
  profilePlacement?: boolean;
  intraOpNumThreads?: number;
  /** See CreateOptions.cpuMemArena (default on). */
  cpuMemArena?: boolean;
}

/** The artifact, or a function that builds it — called only when neither cache has the session. */
export type ArtifactSource = ModelArtifact | (() => ModelArtifact | Promise<ModelArtifact>);

export interface SessionCacheOptions {
  /** Folder for persisted models (`sessions/`) and optimized graphs (`optimized/`); no disk cache without it. */
  cacheDir?: string;
  /** Sessions kept in memory once nobody holds them. */
  maxIdleSessions?: number;
}

interface Entry {
  session: EngineSession;
  refs: number;
}

const HASH_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export function sessionKey(request: SessionRequest): string {
  return `${request.hash}|${request.ep ?? 'cpu'}|${request.precision ?? 'fp32'}`;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<EngineSession>>();
  private readonly maxIdle: number;

  constructor(private readonly options: SessionCacheOptions = {}) {
    this.maxIdle = options.maxIdleSessions ?? 4;
  }

  get size(): number {
    return this.entries.size;
  }

  has(request: SessionRequest): boolean {
    return this.entries.has(sessionKey(request));
  }

  /** Path of the persisted model for a request, if the disk cache holds it. */
  async cachedModelPath(request: SessionRequest): Promise<string | undefined> {
    const file = this.modelPath(request);
    return file && (await isFile(file)) ? file : undefined;
  }

  /** Returns the cached session for the key (the same object) or creates it; call session.release() when done. */
  async get(request: SessionRequest, artifact: ArtifactSource): Promise<EngineSession> {
    if (!HASH_PATTERN.test(request.hash))
      throw new Error(`artifact hash must match ${HASH_PATTERN}, got "${request.hash}"`);
    const key = sessionKey(request);
    const entry = this.entries.get(key);
    if (entry) {
      entry.refs += 1;
      this.touch(key, entry);
      return entry.session;
    }
    let creating = this.pending.get(key);
    if (!creating) {
      creating = this.create(request, artifact)
        .then((session) => {
          this.entries.set(key, { session, refs: 0 });
          session.onRelease = () => this.giveBack(key, session);
          return session;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, creating);
    }
    const session = await creating;
    this.entries.get(key)!.refs += 1;
    return session;
  }

  /** Releases every session, held or not. */
  async clear(): Promise<void> {
    const sessions = [...this.entries.values()].map((e) => e.session);
    this.entries.clear();
    await Promise.all(sessions.map((s) => s.dispose()));
  }

  private async giveBack(key: string, session: EngineSession): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry || entry.session !== session || entry.refs === 0) return;
    entry.refs -= 1;
    this.touch(key, entry);
    await this.evict();
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  /** Drops the least recently used idle sessions beyond maxIdle; held sessions are never dropped. */
  private async evict(): Promise<void> {
    const idle = [...this.entries].filter(([, e]) => e.refs === 0);
    const excess = idle.slice(0, Math.max(0, idle.length - this.maxIdle));
    for (const [key] of excess) this.entries.delete(key);
    await Promise.all(excess.map(([, e]) => e.session.dispose()));
  }

  private async create(request: SessionRequest, artifact: ArtifactSource): Promise<EngineSession> {
    const started = performance.now();
    const identity: SessionIdentity = {
      hash: request.hash,
      precision: request.precision ?? 'fp32',
      requested: request.ep ?? 'cpu',
      order: fallbackOrder(request.ep ?? 'cpu', request.fallback),
    };
    const { model, source } = await this.resolveModel(request, artifact);
    const created = await createOnFirstWorkingEp(model, {
      order: identity.order,
      profilePlacement: request.profilePlacement ?? true,
      optimizedStem:
        request.optimizedModelCache && this.options.cacheDir ? this.optimizedStem(request) : undefined,
      intraOpNumThreads: request.intraOpNumThreads,
      cpuMemArena: request.cpuMemArena,
    });
    const { session, ...rest } = created;
    return new EngineSession(session, identity, rest, { source, createMs: performance.now() - started });
  }

  private async resolveModel(request: SessionRequest, artifactSource: ArtifactSource) {
    const cached = await this.cachedModelPath(request);
    if (cached) return { model: cached, source: 'disk-cache' as const };
    const artifact = typeof artifactSource === 'function' ? await artifactSource() : artifactSource;
    if (artifact.hash !== request.hash)
      throw new Error(`artifact hash ${artifact.hash} differs from the requested ${request.hash}`);
    if (artifact.source.kind === 'file') return { model: artifact.source.path, source: 'artifact' as const };
    const file = this.modelPath(request);
    if (file) await writeAtomically(file, artifact.source.bytes);
    return { model: artifact.source.bytes, source: 'artifact' as const };
  }

  private modelPath(request: SessionRequest): string | undefined {
    const dir = this.options.cacheDir;
    return dir && path.join(dir, 'sessions', `${request.hash}.${request.precision ?? 'fp32'}.onnx`);
  }

  private optimizedStem(request: SessionRequest): string {
    return path.join(this.options.cacheDir!, 'optimized', `${request.hash}.${request.precision ?? 'fp32'}`);
  }
}

async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, file);
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}
