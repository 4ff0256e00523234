// The system packages the test suites need (browser e2e, WebGPU on a software Vulkan device, the Electron e2e's
// display) and what `npm test` does when they are missing: as root on Debian it installs them with
// .ci/install-system.sh; anywhere else it stops at once with the command to run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const INSTALL_COMMAND = 'bash .ci/install-system.sh';

function onPath(command, env = process.env) {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

function debianVersion(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', pkg], { encoding: 'utf8' });
  const m = r.status === 0 ? /install ok installed (\S+)/.exec(r.stdout) : null;
  return m ? m[1] : null;
}

function lavapipeIcdPresent() {
  const dir = '/usr/share/vulkan/icd.d';
  return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('lvp_icd'));
}

/** Debian installs the server binaries (initdb, postgres) off PATH, under /usr/lib/postgresql/<major>/bin. */
export function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((major) => existsSync(join(root, major, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0], 'bin') : null;
}

/** Mesa's major version from the Debian package, or null where dpkg does not know it (non-Debian systems). */
function mesaMajor() {
  const version = debianVersion('mesa-vulkan-drivers');
  return version ? Number(version.split(/[.:]/)[0]) : null;
}

/** Each requirement: what it is for, whether it is here, and the Debian packages that provide it. */
export function testRequirements(env = process.env) {
  const chromiumPath = env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return [
    {
      name: `Chromium (${chromiumPath}) for the browser e2e`,
      present: () => existsSync(chromiumPath),
      packages: ['chromium'],
    },
    { name: 'Xvfb for the Electron e2e', present: () => onPath('Xvfb', env), packages: ['xvfb'] },
    {
      name: 'Mesa ≥ 25 lavapipe (software Vulkan) for the WebGPU tests',
      present: () => lavapipeIcdPresent() && (mesaMajor() ?? 25) >= 25,
      packages: ['mesa-vulkan-drivers (bookworm-backports)', 'libvulkan1'],
    },
    {
      name: 'PostgreSQL server binaries for the team-server library tests',
      present: () => postgresBinDir() !== null,
      packages: ['postgresql'],
    },
    {
      name: 'Redis server for the job queue tests',
      present: () => onPath('redis-server', env),
      packages: ['redis-server'],
    },
  ];
}

function thisSystem() {
  const debian = existsSync('/etc/debian_version');
  return { debian, root: process.getuid?.() === 0, apt: onPath('apt-get') };
}

function runInstallScript(root) {
  return (
    spawnSync('bash', [join(root, '.ci/install-system.sh')], { cwd: root, stdio: 'inherit' }).status === 0
  );
}

/**
 * Returns null when every requirement is met (installing them first as root on Debian), else the one message
 * that tells the user what is missing and the exact command to run. The options exist for tests.
 */
export function ensureTestPrerequisites(
  root,
  {
    requirements = testRequirements,
    system = thisSystem(),
    install = runInstallScript,
    log = console.log,
  } = {},
) {
  const missing = requirements().filter((r) => !r.present());
  if (missing.length === 0) return null;
  const names = missing.map((r) => r.name).join('; ');
  const packages = missing.flatMap((r) => r.packages).join(', ');
  if (system.debian && system.root && system.apt) {
    log(`npm test: installing the system packages the tests need (${packages}) with ${INSTALL_COMMAND} …`);
    const installed = install(root);
    const still = requirements().filter((req) => !req.present());
    if (installed && still.length === 0) return null;
    return `${INSTALL_COMMAND} did not install ${still.map((r) => r.name).join('; ') || 'everything'}; see its output above.`;
  }
  if (system.debian)
    return `The tests need ${names}, which this machine lacks. Install them with: sudo ${INSTALL_COMMAND}`;
  return (
    `The tests need ${names}, which this machine lacks. On Debian/Ubuntu: sudo ${INSTALL_COMMAND}; ` +
    `elsewhere install the packages ${packages} (or set CHROMIUM_PATH to a Chromium binary).`
  );
}
