import { z } from 'zod';
import catalogJson from '../../../models/catalog.json';
import { ScorerKindSchema } from '../../contract/names';

/** Relative to the model's folder: no absolute paths, no `..`, forward slashes only. */
const RelativePath = z
  .string()
  .min(1)
  .refine(
    (path) =>
      !path.startsWith('/') &&
      !path.includes('\\') &&
      path.split('/').every((part) => part !== '' && part !== '.' && part !== '..'),
    {
      message: 'must be a relative path inside the model folder',
    },
  );

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

export const ModelFileSchema = z.object({
  path: RelativePath,
  /** Tried in order; later ones are mirrors. */
  urls: z.array(z.url({ protocol: /^https?$/ })).min(1),
  /** Exact byte size when known (checked after download); null = take the server's Content-Length. */
  size: z.number().int().positive().nullable(),
  /** For display only, when the exact size is unknown. */
  approxSize: z.number().int().positive().optional(),
  /** null = no published hash: the file is then only checked for size. */
  sha256: Sha256.nullable(),
  /** Where a known hash comes from, so it can be re-checked. */
  hashSource: z.string().optional(),
});

const TowerSchema = z.object({
  width: z.number().int().positive(),
  layers: z.number().int().positive(),
  heads: z.number().int().positive(),
  patchSize: z.number().int().positive().optional(),
  imageSize: z.number().int().positive().optional(),
  contextLength: z.number().int().positive().optional(),
  vocabSize: z.number().int().positive().optional(),
});

export const ArchitectureSchema = z.object({
  family: z.enum(['openai-clip', 'open-clip', 'aesthetic-mlp', 'sd1', 'clip-bpe']),
  /** How tensors are named on disk. */
  weightsLayout: z.enum([
    'openai-clip-state-dict',
    'open-clip-state-dict',
    'hf-clip',
    'aesthetic-mlp',
    'ldm-single-file',
    'diffusers-folder',
    'bpe-merges-gz',
  ]),
  /** torch checkpoints keep their weights under this key (e.g. `['state_dict']`). */
  stateDictKey: z.string().optional(),
  activation: z.enum(['quick-gelu', 'gelu']).optional(),
  vision: TowerSchema.optional(),
  text: TowerSchema.optional(),
  embedDim: z.number().int().positive().optional(),
  details: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

export const CatalogEntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lowercase letters, digits, dots and dashes'),
  name: z.string().min(1),
  /** What the model is for, shown in the Models view. */
  description: z.string().min(1),
  purpose: z.enum(['scorer', 'generator', 'tokenizer']),
  scorer: ScorerKindSchema.optional(),
  architecture: ArchitectureSchema,
  preprocessing: z.enum(['openai-clip', 'hps-v2', 'pickscore', 'none']),
  tokenizer: z.enum(['clip-bpe-zero-pad', 'clip-bpe-eot-pad', 'hf-clip']).optional(),
  score: z
    .object({
      raw: z.enum(['cosine', 'logit', 'mlp-output']),
      /** score = raw × scale, the scale the model's anchor publishes. */
      scale: z.number().positive(),
      convention: z.string().min(1),
    })
    .optional(),
  /** Other catalog ids this model cannot run without (tokenizer files, a base tower). */
  requires: z.array(z.string()),
  files: z.array(ModelFileSchema).min(1),
  /** A source that needs a browser (e.g. OneDrive); the user downloads and imports the file. */
  manualDownload: z.object({ page: z.url(), note: z.string() }).optional(),
  homepage: z.url(),
  license: z.string().min(1),
  notes: z.array(z.string()).optional(),
  /** Pairwise accuracy (%) as the HPS v2 README reports it. */
  reportedAccuracy: z.record(z.string(), z.number()).optional(),
});

export const CatalogSchema = z
  .object({ version: z.literal(1), models: z.array(CatalogEntrySchema).min(1) })
  .superRefine((catalog, ctx) => {
    const ids = new Set<string>();
    for (const [index, entry] of catalog.models.entries()) {
      if (ids.has(entry.id))
        ctx.addIssue({ code: 'custom', path: ['models', index, 'id'], message: `duplicate id ${entry.id}` });
      ids.add(entry.id);
      const paths = entry.files.map((file) => file.path);
      if (new Set(paths).size !== paths.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', index, 'files'],
          message: `${entry.id}: duplicate file paths`,
        });
      }
      if (entry.purpose === 'scorer' && (!entry.scorer || !entry.score)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', index],
          message: `${entry.id}: a scorer needs "scorer" and "score"`,
        });
      }
    }
    for (const [index, entry] of catalog.models.entries()) {
      for (const required of entry.requires) {
        if (!ids.has(required)) {
          ctx.addIssue({
            code: 'custom',
            path: ['models', index, 'requires'],
            message: `${entry.id} requires unknown model ${required}`,
          });
        }
      }
    }
  });

export type ModelFile = z.infer<typeof ModelFileSchema>;
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;
export type Catalog = z.infer<typeof CatalogSchema>;

/** Validates catalog data with messages that name the offending entry and field. */
export function parseCatalog(data: unknown): Catalog {
  const result = CatalogSchema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`invalid model catalog:\n  ${issues.join('\n  ')}`);
  }
  return result.data;
}

/** The catalog shipped in models/catalog.json (parsed per call: a ModelStore keeps the one it uses). */
export function bundledCatalog(): Catalog {
  return parseCatalog(catalogJson);
}

export function findEntry(catalog: Catalog, id: string): CatalogEntry {
  const entry = catalog.models.find((model) => model.id === id);
  if (!entry)
    throw new Error(
      `unknown model "${id}" (catalog has: ${catalog.models.map((model) => model.id).join(', ')})`,
    );
  return entry;
}

/** The entry and everything it requires, requirements first, each once. */
export function withRequirements(catalog: Catalog, id: string): CatalogEntry[] {
  const ordered: CatalogEntry[] = [];
  const visit = (current: string, trail: string[]) => {
    if (ordered.some((entry) => entry.id === current)) return;
    if (trail.includes(current))
      throw new Error(`model requirements form a cycle: ${[...trail, current].join(' → ')}`);
    const entry = findEntry(catalog, current);
    for (const required of entry.requires) visit(required, [...trail, current]);
    ordered.push(entry);
  };
  visit(id, []);
  return ordered;
}
