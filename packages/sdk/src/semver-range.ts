// SPDX-License-Identifier: Apache-2.0
// npm semver ranges, the part a plugin's `sdk` field uses, written here so the contract depends on
// nothing (node-semver was its one dependency). Grammar of node-semver's range.bnf: ranges joined by
// `||`, each a space-separated list of comparators: `1.2.3`, `=`/`<`/`<=`/`>`/`>=` with a full or
// partial version, x-ranges (`1.x`, `1.2.*`, `*`), tilde (`~1.2.3`), caret (`^0.2.3`) and hyphen
// (`1.2 - 2.3.4`) ranges. Desugared to comparators as node-semver does (`^1.2.3` is
// `>=1.2.3 <2.0.0-0`), with its pre-release rule: a version with a pre-release tag satisfies a range
// only when a comparator of the same [major, minor, patch] names a pre-release too.
// Simplifications: no `loose` mode and no `includePrerelease` option (neither is used by a host).
// semver-range.test.ts checks the answers against node-semver itself.

interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: readonly (string | number)[];
}

type Op = '<' | '<=' | '>' | '>=' | '=';
interface Comparator {
  op: Op;
  v: Version;
}

const NUM = '0|[1-9]\\d*';
const XR = `${NUM}|[xX*]`;
const PRE_ID = '(?:0|[1-9]\\d*|\\d*[a-zA-Z-][a-zA-Z0-9-]*)';
const PRE = `(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?`;
const PARTIAL = `v?(${XR})(?:\\.(${XR})(?:\\.(${XR})${PRE})?)?`;
const VERSION_RE = new RegExp(`^v?(${NUM})\\.(${NUM})\\.(${NUM})${PRE}$`);
const PARTIAL_RE = new RegExp(`^${PARTIAL}$`);
const COMPARATOR_RE = new RegExp(`^(~|\\^|<=|>=|<|>|=)?\\s*${PARTIAL}$`);
const HYPHEN_RE = new RegExp(
  `^(${PARTIAL.replace(/\((?!\?)/g, '(?:')})\\s+-\\s+(${PARTIAL.replace(/\((?!\?)/g, '(?:')})$`,
);

const isX = (s: string | undefined) => s === undefined || s === 'x' || s === 'X' || s === '*';
const preIds = (s: string | undefined) => (s ? s.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : []);
const ver = (major: number, minor: number, patch: number, pre: readonly (string | number)[] = []): Version => ({
  major,
  minor,
  patch,
  pre,
});
/** The lowest version of a major/minor/patch: x.y.z-0 (node-semver's `-0` bound). */
const lowest = (major: number, minor: number, patch: number) => ver(major, minor, patch, [0]);

/** A version as node-semver's `valid()` takes it, or null. */
export function parseVersion(s: string): Version | null {
  const m = VERSION_RE.exec(s.trim());
  return m ? ver(Number(m[1]), Number(m[2]), Number(m[3]), preIds(m[4])) : null;
}

function comparePre(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  if (!a.length || !b.length) return b.length - a.length; // no pre-release sorts after any
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number' || typeof y === 'number') return typeof x === 'number' ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || comparePre(a.pre, b.pre);
}

/** One comparator or partial (`^1.2`, `>=1`, `1.x`) as the comparators it stands for; null when malformed. */
function desugar(token: string): Comparator[] | null {
  const m = COMPARATOR_RE.exec(token);
  if (!m) return null;
  const op = m[1] ?? '';
  const [M, m2, p] = [m[2]!, m[3], m[4]];
  const pre = preIds(m[5]);
  if (isX(M)) return op === '<' || op === '>' ? [{ op: '<', v: lowest(0, 0, 0) }] : [];
  const major = Number(M);
  const minor = isX(m2) ? undefined : Number(m2);
  const patch = isX(p) ? undefined : Number(p);
  const lo = ver(major, minor ?? 0, patch ?? 0, pre);
  const next =
    minor === undefined ? lowest(major + 1, 0, 0) : patch === undefined ? lowest(major, minor + 1, 0) : undefined;
  switch (op) {
    case '^': {
      const hi =
        major > 0 || minor === undefined
          ? lowest(major + 1, 0, 0)
          : minor > 0 || patch === undefined
            ? lowest(0, minor + 1, 0)
            : lowest(0, 0, patch + 1);
      return [
        { op: '>=', v: lo },
        { op: '<', v: hi },
      ];
    }
    case '~':
      return [
        { op: '>=', v: lo },
        { op: '<', v: minor === undefined ? lowest(major + 1, 0, 0) : lowest(major, minor + 1, 0) },
      ];
    case '>':
      return [next ? { op: '>=', v: { ...next, pre: [] } } : { op: '>', v: lo }];
    case '<=':
      return [next ? { op: '<', v: next } : { op: '<=', v: lo }];
    case '<':
    case '>=':
      return [{ op, v: lo }];
    default:
      return next
        ? [
            { op: '>=', v: lo },
            { op: '<', v: next },
          ]
        : [{ op: '=', v: lo }];
  }
}

/** `a - b`: from the lower partial's first version to the upper partial's last. */
function hyphen(from: string, to: string): Comparator[] | null {
  const lo = desugar(`>=${from}`);
  const hi = isX(PARTIAL_RE.exec(to)?.[1]) ? [] : desugar(`<=${to}`);
  return lo && hi ? [...lo, ...hi] : null;
}

/** A range as its sets of comparators (any set may match), or null when it is not a range. */
export function parseRange(range: string): Comparator[][] | null {
  if (typeof range !== 'string') return null;
  const sets: Comparator[][] = [];
  for (const part of range.split('||')) {
    const text = part.trim().replace(/(~|\^|<=|>=|<|>|=)\s+/g, '$1');
    const h = HYPHEN_RE.exec(text);
    if (h) {
      const set = hyphen(h[1]!, h[2]!);
      if (!set) return null;
      sets.push(set);
      continue;
    }
    const set: Comparator[] = [];
    for (const token of text ? text.split(/\s+/) : []) {
      const c = desugar(token);
      if (!c) return null;
      set.push(...c);
    }
    sets.push(set);
  }
  return sets;
}

function test(c: Comparator, v: Version): boolean {
  const d = compareVersions(v, c.v);
  return { '<': d < 0, '<=': d <= 0, '>': d > 0, '>=': d >= 0, '=': d === 0 }[c.op];
}

function testSet(set: readonly Comparator[], v: Version): boolean {
  if (!set.every((c) => test(c, v))) return false;
  if (!v.pre.length) return true;
  // node-semver: a pre-release only within the [major, minor, patch] a comparator names one for.
  return set.some((c) => c.v.pre.length > 0 && c.v.major === v.major && c.v.minor === v.minor && c.v.patch === v.patch);
}

export const validRange = (range: string): boolean => parseRange(range) !== null;

/** node-semver's satisfies(version, range): false for a malformed version or range. */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  const sets = parseRange(range);
  return !!v && !!sets && sets.some((s) => testSet(s, v));
}
