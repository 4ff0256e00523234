export interface TestRequirement {
  name: string;
  present: () => boolean;
  packages: string[];
}

export function testRequirements(env?: NodeJS.ProcessEnv): TestRequirement[];

export function ensureTestPrerequisites(
  root: string,
  options?: {
    requirements?: () => TestRequirement[];
    system?: { debian: boolean; root: boolean; apt: boolean };
    install?: (root: string) => boolean;
    log?: (line: string) => void;
  },
): string | null;
