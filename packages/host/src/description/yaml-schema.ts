// SPDX-License-Identifier: Apache-2.0
// Loads a YAML document and validates it with a zod schema; every problem comes back with the
// file, the 1-based line of the offending node and its path (`pci[3].bdf`): an unknown key points
// at the key itself, a bad value at the value, a missing key at the map that lacks it. Shared by
// host descriptions, scenario files and calibration rows.

import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type DescriptionIssue, formatIssue, HostError } from '../errors';

export function pathToString(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += s ? `.${String(p)}` : String(p);
  }
  return s;
}

/** The part of zod's refinement context refineUnique() writes to. */
export interface IssueSink {
  addIssue(issue: { code: 'custom'; path: PropertyKey[]; message: string }): void;
}

/**
 * In a schema's superRefine(): reports every item of `items` whose `key` repeats an earlier
 * item's, as "duplicate <what> '<value>'" at `[...at, index, key]` (so a YAML error points at the
 * second occurrence's line). For the names a file's entries are referred to by.
 */
export function refineUnique<T, K extends keyof T & string>(
  ctx: IssueSink,
  items: readonly T[],
  key: K,
  at: readonly PropertyKey[],
  what: string,
): void {
  const seen = new Set<T[K]>();
  items.forEach((item, i) => {
    if (seen.has(item[key]))
      ctx.addIssue({ code: 'custom', path: [...at, i, key], message: `duplicate ${what} '${String(item[key])}'` });
    seen.add(item[key]);
  });
}

/** Finds the node at `path`, or the deepest ancestor that exists (so a missing key points at its parent). */
function nodeAt(root: Node | null | undefined, path: readonly PropertyKey[]): Node | undefined {
  let node: Node | null | undefined = root;
  let found: Node | undefined = root ?? undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
      node = (pair?.value as Node | null | undefined) ?? undefined;
      if (!node && pair?.key) return pair.key as Node;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key] as Node | undefined;
    } else {
      node = undefined;
    }
    if (!node) break;
    found = node;
  }
  return found;
}

/** Line of `key` itself inside the map at `path` (an unknown key is reported where it is written). */
function keyNodeAt(root: Node | null | undefined, path: readonly PropertyKey[], key: string): Node | undefined {
  const map = nodeAt(root, path);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
  return (pair?.key as Node | null | undefined) ?? undefined;
}

/** How many issues an error message lists before "and N more". */
const MAX_LISTED_ISSUES = 10;

export interface LoadedYaml<T> {
  value: T;
  file: string;
  /** Line of the node at a path (for errors found after schema validation). */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/** Parses `text` (named `file` in messages) and validates it; throws HostError with every issue. */
export function parseYamlWithSchema<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
): LoadedYaml<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const issues: DescriptionIssue[] = doc.errors.map((e) => ({
      file,
      line: lineCounter.linePos(e.pos[0]).line,
      path: '',
      message: e.message.split('\n')[0]!,
    }));
    throw new HostError('YAML_SYNTAX', `${file}: invalid YAML: ${formatIssue(issues[0]!)}`, issues);
  }
  const root = doc.contents as Node | null;
  const line = (node: Node | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : undefined);
  const lineOf = (path: readonly PropertyKey[]) => line(nodeAt(root, path));
  const result = schema.safeParse(doc.toJS());
  if (!result.success) {
    const issues: DescriptionIssue[] = result.error.issues.flatMap((i): DescriptionIssue[] =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => ({
            file,
            line: line(keyNodeAt(root, i.path, k)) ?? lineOf(i.path),
            path: pathToString([...i.path, k]),
            message: `unknown key '${k}'`,
          }))
        : [{ file, line: lineOf(i.path), path: pathToString(i.path), message: i.message }],
    );
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map(formatIssue);
    if (issues.length > MAX_LISTED_ISSUES) listed.push(`(and ${issues.length - MAX_LISTED_ISSUES} more)`);
    throw new HostError('DESCRIPTION_INVALID', listed.join('\n'), issues);
  }
  return { value: result.data, file, lineOf };
}

export function loadYamlWithSchema<S extends z.ZodType>(file: string, schema: S): LoadedYaml<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new HostError('FILE_NOT_FOUND', `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseYamlWithSchema(text, file, schema);
}
