// Pause/resume between optimizer steps (cancel is the AbortSignal).
export class TrainingControl {
  private gate: { promise: Promise<void>; open: () => void } | undefined;

  get paused(): boolean {
    return this.gate !== undefined;
  }

  pause(): void {
    if (this.gate) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }

  resume(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  /** Resolves once resumed; rejects with the signal's reason when it aborts while paused. */
  async wait(signal?: AbortSignal): Promise<void> {
    while (this.gate) {
      signal?.throwIfAborted();
      const aborted = new Promise<never>((_, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
      await Promise.race([this.gate.promise, ...(signal ? [aborted] : [])]);
    }
  }
}
