// Where the scorers' sessions live. Graphs become artifacts and session requests through the engine's
// graph-session policy; onnxruntime-node's run() holds the calling thread until it returns, so the scorers run
// their sessions in a RuntimeWorker by default: the main thread decodes and preprocesses the next batch meanwhile.
import type { Graph } from '../../engine/ir/graph';
import {
  RuntimeWorker,
  graphArtifact,
  graphSessionRequest,
  openGraphSession,
  type GraphTarget,
  type SessionCache,
  type TensorMap,
} from '../../engine/runtime';

/** What the scorers need of a session, in this thread or in the worker. */
export interface TowerSession {
  run(feeds: TensorMap, options?: { signal?: AbortSignal; transfer?: boolean }): Promise<TensorMap>;
  release(): Promise<void>;
}

export interface SessionHost {
  open(graph: Graph, target: GraphTarget): Promise<TowerSession>;
  close(): Promise<void>;
}

/** Sessions in the calling thread, from a (possibly shared) SessionCache. */
export class InThreadHost implements SessionHost {
  constructor(
    private readonly sessions: SessionCache,
    private readonly workDir: string,
    private readonly ownsCache: boolean,
  ) {}

  open(graph: Graph, target: GraphTarget): Promise<TowerSession> {
    return openGraphSession(graph, { ...target, sessions: this.sessions, workDir: this.workDir });
  }

  async close(): Promise<void> {
    if (this.ownsCache) await this.sessions.clear();
  }
}

/** Sessions on a RuntimeWorker thread; models with external data travel as paths rather than posted bytes. */
export class WorkerHost implements SessionHost {
  private readonly worker = new RuntimeWorker({ maxIdleSessions: 4 });

  constructor(private readonly workDir: string) {}

  async open(graph: Graph, target: GraphTarget): Promise<TowerSession> {
    const artifact = await graphArtifact(graph, target, this.workDir);
    return this.worker.open(graphSessionRequest(artifact, target), artifact);
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
