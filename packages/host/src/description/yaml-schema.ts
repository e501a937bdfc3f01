// SPDX-License-Identifier: Apache-2.0
// Loads a YAML document and validates it with a zod schema; every problem comes back with the
// file, the 1-based line of the offending node and its path (`pci[3].bdf`). Shared by host
// descriptions and scenario files.

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
  const lineOf = (path: readonly PropertyKey[]) => {
    const node = nodeAt(doc.contents as Node | null, path);
    return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  };
  const result = schema.safeParse(doc.toJS());
  if (!result.success) {
    const issues: DescriptionIssue[] = result.error.issues.map((i) => ({
      file,
      line: lineOf(i.path),
      path: pathToString(i.path),
      message: i.message,
    }));
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new HostError('DESCRIPTION_INVALID', `${formatIssue(issues[0]!)}${more}`, issues);
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
