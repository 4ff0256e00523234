/**
 * Renames tensor names by their longest matching module prefix. Conversion tables between checkpoint
 * layouts are lists of module-prefix pairs (as in diffusers' conversion scripts); a tensor's name is the
 * prefix of the module that owns it plus the rest, which stays as it is.
 */
export class PrefixMap {
  private readonly pairs = new Map<string, string>();

  /** Both prefixes are dotted module paths without the trailing dot ("input_blocks.1.0" → "down_blocks.0.resnets.0"). */
  add(from: string, to: string): this {
    const existing = this.pairs.get(from);
    if (existing !== undefined && existing !== to)
      throw new Error(`conflicting mappings for ${from}: ${existing} and ${to}`);
    this.pairs.set(from, to);
    return this;
  }

  /** The renamed name, or undefined when no prefix of it is known. */
  rename(name: string): string | undefined {
    for (let end = name.lastIndexOf('.'); end > 0; end = name.lastIndexOf('.', end - 1)) {
      const target = this.pairs.get(name.slice(0, end));
      if (target !== undefined) return target + name.slice(end);
    }
    return undefined;
  }
}
