import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SCORER_KINDS } from '../../main/contract/names';
import { bundledCatalog, findEntry, parseCatalog, withRequirements } from '../../main/services/model-store';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

describe('bundled model catalog', () => {
  const catalog = bundledCatalog();

  it('validates and covers every scorer kind and SD 1.5', () => {
    for (const kind of SCORER_KINDS)
      expect(
        catalog.models.some((entry) => entry.scorer === kind),
        kind,
      ).toBe(true);
    expect(
      catalog.models.filter((entry) => entry.architecture.family === 'sd1').length,
    ).toBeGreaterThanOrEqual(2);
    for (const entry of catalog.models) {
      for (const file of entry.files)
        for (const url of file.urls) expect(url, entry.id).toMatch(/^https:\/\//);
    }
  });

  it('carries the score conventions and preprocessing of spec.md', () => {
    expect(findEntry(catalog, 'hps-v1')).toMatchObject({
      preprocessing: 'openai-clip',
      score: { raw: 'cosine', scale: 100 },
    });
    expect(findEntry(catalog, 'hps-v1').architecture).toMatchObject({
      activation: 'quick-gelu',
      stateDictKey: 'state_dict',
    });
    expect(findEntry(catalog, 'hps-v2')).toMatchObject({
      preprocessing: 'hps-v2',
      score: { raw: 'cosine', scale: 100 },
    });
    expect(findEntry(catalog, 'hps-v2.1').files[0]!.path).toBe('HPS_v2.1_compressed.pt');
    expect(findEntry(catalog, 'hps-v2').architecture).toMatchObject({ activation: 'gelu', embedDim: 1024 });
    expect(findEntry(catalog, 'pickscore-v1')).toMatchObject({
      preprocessing: 'pickscore',
      score: { raw: 'logit' },
    });
    expect(withRequirements(catalog, 'laion-aesthetic-v2').map((entry) => entry.id)).toEqual([
      'clip-vit-l-14',
      'laion-aesthetic-v2',
    ]);
  });

  it("the CLIP BPE entry's size and sha256 match the real file in the fixtures", async () => {
    const bytes = await readFile(`${FIXTURES}clip/bpe_simple_vocab_16e6.txt.gz`);
    const [file] = findEntry(catalog, 'clip-bpe-vocab').files;
    expect(file).toMatchObject({
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });
});

describe('catalog validation', () => {
  const valid = () => structuredClone(bundledCatalog()) as unknown as { models: Record<string, unknown>[] };

  it('names the offending entry and field', () => {
    const duplicate = valid();
    duplicate.models.push(duplicate.models[0]!);
    expect(() => parseCatalog(duplicate)).toThrow(/duplicate id hps-v1/);

    const unknownRequirement = valid();
    unknownRequirement.models[0]!.requires = ['nope'];
    expect(() => parseCatalog(unknownRequirement)).toThrow(/hps-v1 requires unknown model nope/);

    const escaping = valid();
    (escaping.models[0]!.files as { path: string }[])[0]!.path = '../../etc/passwd';
    expect(() => parseCatalog(escaping)).toThrow(/models\.0\.files\.0\.path: must be a relative path/);

    const badHash = valid();
    (badHash.models[0]!.files as { sha256: string }[])[0]!.sha256 = 'ABC';
    expect(() => parseCatalog(badHash)).toThrow(
      /models\.0\.files\.0\.sha256: must be 64 lowercase hex digits/,
    );

    const scorerWithoutScore = valid();
    delete scorerWithoutScore.models[0]!.score;
    expect(() => parseCatalog(scorerWithoutScore)).toThrow(/hps-v1: a scorer needs "scorer" and "score"/);
  });
});
