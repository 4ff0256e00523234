/** Every checkpoint problem surfaces as this error, naming the file (and the tensor when there is one). */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly file: string,
    detail: string,
    readonly tensor?: string,
  ) {
    super(tensor === undefined ? `${file}: ${detail}` : `${file}: tensor "${tensor}": ${detail}`);
  }
}
