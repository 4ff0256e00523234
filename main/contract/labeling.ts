// Labeling calls (the Compare view): blind assignment, committed judgments with idempotency keys, undo.
// These are the calls an annotator token may make.
import { z } from 'zod';
import { defineCall, NoInput } from './define';
import { LibraryImageSchema } from './library';
import { JudgmentKindSchema } from './names';

export const ScoreChipSchema = z.object({ modelId: z.string(), score: z.number() });

export const LabelItemSchema = z.object({
  comparisonId: z.number().int(),
  prompt: z.string(),
  promptId: z.number().int(),
  /** Left to right as they must be shown (randomised per item; send it back with the judgment). */
  images: z.array(
    LibraryImageSchema.extend({
      /** Stored scores, HPS v2.1 first; always empty for annotators (blind). */
      scores: z.array(ScoreChipSchema),
    }),
  ),
  shownOrder: z.array(z.number().int()),
});

export const LabelProgressSchema = z.object({
  judged: z.number().int(),
  remaining: z.number().int(),
});

export const LabelingSettingsSchema = z.object({
  /** Judgments wanted per comparison (k annotators label each item, blind to each other). */
  overlap: z.number().int().min(1).max(20),
  /** Share of items drawn from gold comparisons (known answers) while any are left. */
  goldRate: z.number().min(0).max(1),
});

export const LabelQueueSourceSchema = z.enum(['uncertainty', 'disagreement']);

/** The admin's "label next" queue as one caller sees it: null when none is set. */
export const LabelQueueStatusSchema = z
  .object({
    source: LabelQueueSourceSchema,
    /** Queued comparisons, in order. */
    size: z.number().int(),
    /** Queued comparisons this caller could still be served (not judged by them, overlap not reached). */
    left: z.number().int(),
  })
  .nullable();

export const labelingCalls = {
  'labeling.next': defineCall({
    summary: 'The next comparison for the caller to judge (never one they judged), or null when done.',
    input: z
      .object({
        /** Comparisons the client already holds (the current and prefetched items), never handed out again. */
        exclude: z.array(z.number().int()).max(20).default([]),
      })
      .strict(),
    output: z.object({ item: LabelItemSchema.nullable(), progress: LabelProgressSchema }),
    access: 'annotator',
  }),
  'labeling.submit': defineCall({
    summary:
      'Stores a judgment and answers only after it is committed; a retry with the same key is stored once.',
    input: z
      .object({
        comparisonId: z.number().int(),
        kind: JudgmentKindSchema,
        chosenImageId: z.number().int().nullable().default(null),
        ranking: z.array(z.number().int()).min(2).max(9).nullable().default(null),
        shownOrder: z.array(z.number().int()).min(2).max(9),
        decisionMs: z.number().int().min(0).nullable().default(null),
        idempotencyKey: z.string().min(8).max(200),
      })
      .strict(),
    // No progress here: counting what is left scans the library (~30 ms at 100k items), and this answer is
    // on the path from keypress to next item. The client asks labeling.progress after switching.
    output: z.object({
      judgmentId: z.number().int(),
      duplicate: z.boolean(),
    }),
    access: 'annotator',
  }),
  'labeling.undo': defineCall({
    summary:
      "Removes the caller's last judgment and returns its item, in the order it was shown, to judge again.",
    input: NoInput,
    output: z.object({
      undone: z.object({ comparisonId: z.number().int(), kind: JudgmentKindSchema }).nullable(),
      item: LabelItemSchema.nullable(),
      progress: LabelProgressSchema,
    }),
    access: 'annotator',
  }),
  'labeling.progress': defineCall({
    summary: "The caller's judged and remaining counts under the library's overlap.",
    input: NoInput,
    output: LabelProgressSchema,
    access: 'annotator',
  }),
  'labeling.settings': defineCall({
    summary: "The library's labeling policy: overlap k and gold rate.",
    input: NoInput,
    output: LabelingSettingsSchema,
    access: 'annotator',
  }),
  'labeling.setSettings': defineCall({
    summary: "Changes the library's labeling policy (admins).",
    input: LabelingSettingsSchema.strict(),
    output: LabelingSettingsSchema,
  }),
  'labeling.setQueue': defineCall({
    summary:
      'Sets the library\'s "label next" queue (admins): labeling.next serves these first, in order, to every annotator.',
    input: z
      .object({
        comparisonIds: z.array(z.number().int()).min(1, 'queue at least one comparison').max(1000),
        source: LabelQueueSourceSchema,
      })
      .strict(),
    output: LabelQueueStatusSchema,
  }),
  'labeling.clearQueue': defineCall({
    summary: 'Removes the "label next" queue (admins); labeling.next goes back to the normal assignment.',
    input: NoInput,
    output: z.object({ cleared: z.boolean() }),
  }),
  'labeling.queue': defineCall({
    summary:
      'The "label next" queue as the caller sees it (how many queued items are left for them), or null.',
    input: NoInput,
    output: LabelQueueStatusSchema,
    access: 'annotator',
  }),
};
