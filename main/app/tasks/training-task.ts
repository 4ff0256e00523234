// Runs in a training worker: one LoRA run, with pause/resume as commands and every progress event forwarded.
// Cancel aborts the signal; the trainer then saves a checkpoint the run can restart from.
import {
  TrainingControl,
  trainLora,
  type LoraTrainingInput,
  type TrainingProgress,
  type TrainingResult,
} from '../../services/training/lora';
import type { TaskChannel } from './task-worker';

export type TrainingCommand = 'pause' | 'resume';

export async function train(
  input: LoraTrainingInput,
  channel: TaskChannel<TrainingProgress, TrainingCommand>,
): Promise<TrainingResult> {
  const control = new TrainingControl();
  channel.onCommand((command) => {
    if (command === 'pause') control.pause();
    else control.resume();
  });
  return trainLora(input, { control, signal: channel.signal, onProgress: (event) => channel.emit(event) });
}
