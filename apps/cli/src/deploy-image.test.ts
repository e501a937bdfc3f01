// SPDX-License-Identifier: Apache-2.0
// deploy/Dockerfile checked without Docker (none on the CI machine): it builds the bundles in a
// stage with the dev dependencies and runs them in one with the production dependencies only
// (NODE_ENV=production, no tsx); every file it copies exists; the bundles' npm imports are all
// production dependencies (what `npm ci --omit=dev` installs, read from package-lock.json); the
// compose and k8s commands start launchers the final image holds; and a launcher in a tree of
// bundles without sources (the image's case) runs its bundle under IOFLEET_PREBUILT=1.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = join(__dirname, '..', '..', '..');
const APPS = ['cli', 'host-agent', 'scheduler'];

interface Stage {
  name?: string;
  lines: { op: string; args: string }[];
}

/** The Dockerfile's stages: instructions with continuation lines joined, comments dropped. */
function stagesOf(text: string): Stage[] {
  const joined = text.replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op!.toUpperCase() === 'FROM')
      stages.push({ ...(/ AS (\S+)/i.exec(args) && { name: / AS (\S+)/i.exec(args)![1] }), lines: [] });
    stages.at(-1)!.lines.push({ op: op!.toUpperCase(), args });
  }
  return stages;
}

const dockerfile = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
const stages = stagesOf(dockerfile);
const final = stages.at(-1)!;
const build = stages.find((s) => s.name === 'build');
const ops = (s: Stage, op: string) => s.lines.filter((l) => l.op === op).map((l) => l.args);

/** Paths the final stage copies (destinations, relative to its WORKDIR). */
function finalPaths(): string[] {
  return ops(final, 'COPY').flatMap((a) => {
    const parts = a.split(/\s+/).filter((p) => !p.startsWith('--'));
    const dest = parts.at(-1)!.replace(/^\.\//, '');
    const srcs = parts.slice(0, -1);
    // `COPY a b ./` keeps each file's name; `COPY dir ./dir` renames.
    return dest.endsWith('/') || dest === '.'
      ? srcs.map((s) => join(dest === '.' ? '' : dest, s.split('/').at(-1)!))
      : [dest];
  });
}

describe('deploy/Dockerfile', () => {
  it('builds the bundles in a stage with the dev dependencies, and runs them with production dependencies only', () => {
    expect(build, 'a stage named build').toBeDefined();
    expect(ops(build!, 'RUN').join(' ')).toMatch(/npm ci(?! [^&]*--omit=dev)/);
    expect(ops(build!, 'ENV').join(' ')).not.toMatch(/NODE_ENV=production/);
    expect(ops(final, 'ENV').join(' ')).toMatch(/NODE_ENV=production/);
    expect(ops(final, 'ENV').join(' ')).toMatch(/IOFLEET_PREBUILT=1/);
    const install = ops(final, 'RUN').find((r) => r.includes('npm ci'));
    expect(install).toMatch(/--omit=dev/);
    expect(install).toMatch(/--ignore-scripts/); // prepare would build with esbuild, which is not there
    for (const app of APPS)
      expect(ops(final, 'COPY')).toContain(`--from=build /opt/iofleet/apps/${app}/bundle ./apps/${app}/bundle`);
  });

  it('never runs the sources through tsx (a dev dependency)', () => {
    for (const s of stages)
      for (const l of s.lines) expect(`${l.op} ${l.args}`).not.toMatch(/tsx|--conditions=@iofleet\/source/);
    expect(ops(final, 'ENTRYPOINT')).toEqual(['["node"]']);
    const cmd = JSON.parse(ops(final, 'CMD')[0]!) as string[];
    expect(existsSync(join(ROOT, cmd[0]!)), cmd[0]).toBe(true);
    expect(finalPaths().some((p) => cmd[0]!.startsWith(p))).toBe(true);
  });

  it('copies only files that exist in the build context', () => {
    for (const s of stages)
      for (const a of ops(s, 'COPY')) {
        if (a.startsWith('--from=')) continue;
        for (const src of a.split(/\s+/).slice(0, -1)) expect(existsSync(join(ROOT, src)), src).toBe(true);
      }
  });

  it('gives the bundles every npm package they load as a production dependency (npm ci --omit=dev installs it)', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    for (const app of APPS) {
      const code = readFileSync(join(ROOT, 'apps', app, 'bundle', 'main.cjs'), 'utf8');
      const names = new Set(
        [...code.matchAll(/require\("([^"]+)"\)/g)]
          .map((m) => m[1]!)
          .filter((r) => !r.startsWith('node:') && !builtinModules.includes(r.split('/')[0]!))
          .map((r) => (r.startsWith('@') ? r.split('/').slice(0, 2).join('/') : r.split('/')[0]!)),
      );
      expect(names.size, app).toBeGreaterThan(3);
      for (const n of names) {
        const entry = lock.packages[`node_modules/${n}`];
        expect(entry, `${app} loads ${n}`).toBeDefined();
        expect(entry!.dev, `${app} loads ${n}, a dev dependency`).toBeFalsy();
      }
    }
  });

  it('is what compose and k8s start: launchers the final image holds', () => {
    const held = finalPaths();
    const compose = parse(readFileSync(join(ROOT, 'deploy', 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { image?: string; command?: string[] }>;
    };
    const mains = Object.values(compose.services)
      .filter((s) => s.image === 'iofleet:dev')
      .map((s) => s.command![0]!);
    for (const f of ['scheduler.yaml', 'host-agent.yaml', 'worker.yaml'])
      for (const d of parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'k8s', f), 'utf8'))) {
        const js = d.toJS();
        for (const c of js?.spec?.template?.spec?.containers ?? [])
          mains.push(c.command?.[0] === 'sh' ? /exec node (\S+)/.exec(c.args[0])![1]! : c.args[0]);
      }
    expect(mains.length).toBeGreaterThanOrEqual(6);
    for (const m of mains) {
      expect(m, m).toMatch(/^apps\/[a-z-]+\/bin\/[a-z-]+\.cjs$/);
      expect(existsSync(join(ROOT, m)), m).toBe(true);
      expect(
        held.some((p) => m.startsWith(p)),
        `${m} is in the final stage`,
      ).toBe(true);
    }
  });
});

describe('launchers under IOFLEET_PREBUILT=1 (the image: bundles, no sources, no build tools)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iofleet-image-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // The image's layout for the CLI: its launcher and bundle, tools/launcher.cjs and bundle.cjs, and
  // node_modules (here the repository's, linked); no TypeScript sources to compare times with.
  mkdirSync(join(dir, 'tools'));
  for (const f of ['launcher.cjs', 'bundle.cjs']) cpSync(join(ROOT, 'tools', f), join(dir, 'tools', f));
  cpSync(join(ROOT, 'apps', 'cli', 'bin'), join(dir, 'apps', 'cli', 'bin'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const cli = join(dir, 'apps', 'cli', 'bin', 'iofleet.cjs');
  const env = { ...process.env, IOFLEET_PREBUILT: '1', IOFLEET_FROM_SOURCE: '' };

  it('says which bundle is missing instead of building it', () => {
    const r = spawnSync(process.execPath, [cli, '--version'], { env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/IOFLEET_PREBUILT=1 but .*apps\/cli\/bundle\/main\.cjs is missing/);
  });

  it('runs the bundle as shipped, without its sources', () => {
    cpSync(join(ROOT, 'apps', 'cli', 'bundle'), join(dir, 'apps', 'cli', 'bundle'), { recursive: true });
    const out = execFileSync(process.execPath, [cli, 'worker', '--help'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(out).toMatch(/--redis <url>/);
    expect(existsSync(join(dir, 'apps', 'cli', 'src'))).toBe(false);
  });
});
