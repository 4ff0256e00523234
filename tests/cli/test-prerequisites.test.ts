// What `npm test` does when the system packages its suites need are missing (scripts/test-prerequisites.mjs).
import { describe, expect, it } from 'vitest';
import { ensureTestPrerequisites, testRequirements } from '../../scripts/test-prerequisites.mjs';

function fakeRequirement(name: string, presentAfterInstall = true) {
  let installed = false;
  return {
    requirement: { name, present: () => installed, packages: [name.toLowerCase()] },
    install: () => {
      installed = presentAfterInstall;
      return true;
    },
  };
}

describe('npm test system prerequisites', () => {
  it('names Chromium, Xvfb and Mesa ≥ 25 lavapipe, and finds them on this machine', () => {
    const requirements = testRequirements();
    expect(requirements.map((r) => r.name).join(' | ')).toMatch(/Chromium.*\| Xvfb.*\| Mesa ≥ 25 lavapipe/);
    // `npm test` installed them before this suite ran, or stopped.
    expect(requirements.filter((r) => !r.present()).map((r) => r.name)).toEqual([]);
  });

  it('as root on Debian installs what is missing, saying so in one line', () => {
    const chromium = fakeRequirement('Chromium');
    const lines: string[] = [];
    const outcome = ensureTestPrerequisites('/repo', {
      requirements: () => [chromium.requirement],
      system: { debian: true, root: true, apt: true },
      install: chromium.install,
      log: (line: string) => lines.push(line),
    });
    expect(outcome).toBeNull();
    expect(lines).toEqual([
      'npm test: installing the system packages the tests need (chromium) with bash .ci/install-system.sh …',
    ]);
  });

  it('fails with what is still missing when the install did not provide it', () => {
    const xvfb = fakeRequirement('Xvfb', false);
    const outcome = ensureTestPrerequisites('/repo', {
      requirements: () => [xvfb.requirement],
      system: { debian: true, root: true, apt: true },
      install: xvfb.install,
      log: () => {},
    });
    expect(outcome).toBe('bash .ci/install-system.sh did not install Xvfb; see its output above.');
  });

  it('elsewhere stops at once with the command to run, installing nothing', () => {
    const chromium = fakeRequirement('Chromium');
    const install = () => {
      throw new Error('must not install');
    };
    const asUser = ensureTestPrerequisites('/repo', {
      requirements: () => [chromium.requirement],
      system: { debian: true, root: false, apt: true },
      install,
    });
    expect(asUser).toBe(
      'The tests need Chromium, which this machine lacks. Install them with: sudo bash .ci/install-system.sh',
    );
    const notDebian = ensureTestPrerequisites('/repo', {
      requirements: () => [chromium.requirement],
      system: { debian: false, root: true, apt: false },
      install,
    });
    expect(notDebian).toMatch(/^The tests need Chromium, .* elsewhere install the packages chromium/);
  });
});
